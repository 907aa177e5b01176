import { CairnError } from '../errors/cairn-error.js';
import { sha256Of } from '../storage/body.js';

/** How many hex characters of an input digest a segment keeps (64 bits: collisions are moot). */
export const digestPrefixLength = 16;

function isSortable(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * JSON with object keys sorted at every level, so two equal inputs built in a different key
 * order have the same digest. Values go through `toJSON` first, as `JSON.stringify` does.
 *
 * @throws TypeError from `JSON.stringify` for BigInt values and cycles.
 */
export function canonicalJson(value: unknown): string {
  const text = JSON.stringify(value, (_key, current: unknown) => {
    if (!isSortable(current)) return current;
    const sorted: Record<string, unknown> = {};
    for (const key of Object.keys(current).sort()) sorted[key] = current[key];
    return sorted;
  });
  // JSON.stringify answers undefined (not a string) for undefined, functions and symbols.
  return text ?? 'undefined';
}

/**
 * The digest a resume compares to tell whether an item changed: SHA-256 of the item's
 * canonical JSON, or of `[item, parameters]` when a parameter grid assigns it parameters (a
 * changed grid changes the work too).
 *
 * @throws CairnError `INVALID_OPTIONS` when the item cannot be written as JSON.
 */
export function inputDigestOf(
  item: unknown,
  index: number,
  parameters: Readonly<Record<string, unknown>> | undefined,
): string {
  try {
    return sha256Of(canonicalJson(parameters === undefined ? item : [item, parameters]));
  } catch (error) {
    throw new CairnError({
      code: 'INVALID_OPTIONS',
      backend: 'items',
      message: `Item ${index} cannot be written as JSON (${error instanceof Error ? error.message : String(error)}), so Cairn cannot tell on a resume whether it changed. Pass items made of plain data (objects, arrays, strings, numbers, booleans, null), e.g. ids or prompts rather than live objects.`,
      cause: error,
      details: { index },
    });
  }
}

/** The part of a digest a segment keeps. */
export function digestPrefix(digest: string): string {
  return digest.slice(0, digestPrefixLength);
}
