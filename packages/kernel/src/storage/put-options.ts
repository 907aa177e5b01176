import { CairnError } from '../errors/cairn-error.js';
import type { PutOptions } from './storage.js';

/**
 * The most user metadata an object may carry, names and values together, in UTF-8 bytes. S3
 * allows 2 KB; one limit for every backend keeps a mirror of disk and S3 from accepting on one
 * copy what the other refuses.
 */
export const maxMetadataBytes = 2048;

/**
 * The part of {@link maxMetadataBytes} a caller may use: names starting `cairn-` are Cairn's
 * own (a mirror adds a digest and a version to every copy) and have the rest.
 */
export const maxUserMetadataBytes = 1792;

const metadataName = /^[a-z0-9-]+$/;
// Metadata travels as HTTP headers on S3-compatible stores: printable ASCII only.
const metadataValue = /^[\x20-\x7e]*$/;
const sha256Hex = /^[0-9a-f]{64}$/i;

/**
 * Checks put options against the contract before any byte is read, the same way for every
 * backend: `ifNoneMatch` is `'*'`, `ifMatch` a non-empty etag, not both; `expectedSha256` is
 * 64 hex digits; metadata names are lowercase `[a-z0-9-]`, values printable ASCII, at most
 * {@link maxUserMetadataBytes} from the caller and {@link maxMetadataBytes} in all.
 *
 * @throws CairnError `INVALID_OPTIONS` saying which option is wrong and what it should be.
 */
export function validatePutOptions(key: string, options: PutOptions, backend: string): void {
  const problem = findPutOptionProblem(options);
  if (problem === undefined) return;
  throw new CairnError({
    code: 'INVALID_OPTIONS',
    backend,
    message: `Invalid put options for "${key}": ${problem}.`,
    details: { key, problem },
  });
}

function findPutOptionProblem(options: PutOptions): string | undefined {
  if (options.ifNoneMatch !== undefined && options.ifNoneMatch !== '*') {
    return `ifNoneMatch must be "*", not ${JSON.stringify(options.ifNoneMatch)}`;
  }
  if (
    options.ifMatch !== undefined &&
    (typeof options.ifMatch !== 'string' || options.ifMatch === '')
  ) {
    return 'ifMatch must be an etag string returned by head, get or put';
  }
  if (options.ifMatch !== undefined && options.ifNoneMatch !== undefined) {
    return 'give ifNoneMatch (create only) or ifMatch (replace only), not both';
  }
  if (options.expectedSha256 !== undefined && !sha256Hex.test(options.expectedSha256)) {
    return 'expectedSha256 must be 64 hexadecimal digits';
  }
  if (options.contentType !== undefined && typeof options.contentType !== 'string') {
    return 'contentType must be a string such as "application/json"';
  }
  if (options.metadata === undefined) return undefined;
  let bytes = 0;
  let userBytes = 0;
  for (const [name, value] of Object.entries(options.metadata)) {
    if (!metadataName.test(name))
      return `metadata name ${JSON.stringify(name)} must be lowercase [a-z0-9-]`;
    if (typeof value !== 'string') return `metadata "${name}" must be a string`;
    if (!metadataValue.test(value)) {
      return `metadata "${name}" must be printable ASCII (it travels as an HTTP header on S3); encode other text, e.g. as base64`;
    }
    const size = Buffer.byteLength(name) + Buffer.byteLength(value);
    bytes += size;
    if (!name.startsWith('cairn-')) userBytes += size;
  }
  if (userBytes > maxUserMetadataBytes) {
    return `metadata holds ${userBytes} bytes; keep it within ${maxUserMetadataBytes} (store larger data as its own object)`;
  }
  if (bytes > maxMetadataBytes) {
    return `metadata holds ${bytes} bytes with Cairn's own entries; the limit is ${maxMetadataBytes}`;
  }
  return undefined;
}
