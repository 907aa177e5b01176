import { CairnError } from '../errors/cairn-error.js';
import { formatSequence, sequenceWidth } from '../naming/layout.js';
import { maxKeyBytes, validateKey, validatePrefix } from '../storage/keys.js';

/**
 * How numbered versions are laid out under a prefix:
 *
 * ```
 * <prefix>v000000000001     version 1's record (create-only, never replaced)
 * <prefix>v000000000002     version 2's record
 * ```
 *
 * The number is zero-padded to {@link sequenceWidth} digits, the width of every sequence in
 * Cairn's keys, so keys sort in number order and the highest version is the last key in a
 * listing of `<prefix>v`. Versions start at 1. Everything else under the prefix (aliases,
 * payloads) is the caller's, preferably outside `<prefix>v…`: keys there that are not version
 * records are skipped, but each one costs the search for the highest version a little.
 */
export const versionKeyMarker = 'v';

/** The highest version number a key can hold (twelve nines). */
export const maxVersion = 10 ** sequenceWidth - 1;

const versionRest = new RegExp(`^${versionKeyMarker}(\\d{${sequenceWidth}})$`);

/** The key of version `version` under `prefix` (see {@link versionKeyMarker} for the layout). */
export function versionKey(prefix: string, version: number): string {
  return `${prefix}${versionKeyMarker}${formatSequence(version)}`;
}

/** The version number a key holds, or undefined when it is not a version record under `prefix`. */
export function versionOfKey(prefix: string, key: string): number | undefined {
  if (!key.startsWith(prefix)) return undefined;
  const match = versionRest.exec(key.slice(prefix.length));
  if (match?.[1] === undefined) return undefined;
  const version = Number(match[1]);
  return version >= 1 ? version : undefined;
}

/**
 * Checks a version prefix: a valid key prefix that ends with `/` (a folder of its own, so
 * `models/a/` and `models/ab/` never share versions), short enough that the longest version
 * key fits `maxBytes`.
 *
 * @throws CairnError `INVALID_KEY` when the prefix breaks the key rules; `INVALID_OPTIONS` when
 *   it is empty, does not end with `/`, or leaves no room for the version number.
 */
export function validateVersionPrefix(prefix: string, maxBytes = maxKeyBytes): void {
  if (typeof prefix !== 'string' || prefix === '' || !prefix.endsWith('/')) {
    throw new CairnError({
      code: 'INVALID_OPTIONS',
      backend: 'versions',
      message: `The version prefix ${JSON.stringify(prefix)} is not valid: it must be a non-empty key prefix ending with "/", such as "artifacts/dataset-x/".`,
      details: { prefix },
    });
  }
  validatePrefix(prefix, { backend: 'versions', maxBytes });
  const longest = versionKey(prefix, maxVersion);
  if (Buffer.byteLength(longest) > maxBytes) {
    throw new CairnError({
      code: 'INVALID_OPTIONS',
      backend: 'versions',
      message: `The version prefix "${prefix}" is too long: its version keys would pass the storage's ${maxBytes}-byte key limit. Use a shorter prefix.`,
      details: { prefix, maxBytes },
    });
  }
  validateKey(longest, { backend: 'versions', maxBytes });
}
