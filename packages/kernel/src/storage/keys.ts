import { CairnError } from '../errors/cairn-error.js';

/** The longest key any backend accepts, in UTF-8 bytes (S3's own limit). */
export const maxKeyBytes = 1024;

/** Options for {@link validateKey} and {@link validatePrefix}. */
export interface KeyValidationOptions {
  /** Backend name used in the error prefix; defaults to `kernel`. */
  backend?: string;
  /** A tighter byte limit than {@link maxKeyBytes}, for backends with shorter keys. */
  maxBytes?: number;
}

// C0 controls, DEL and C1 controls: invisible in listings and refused by several stores.
// biome-ignore lint/suspicious/noControlCharactersInRegex: finding control characters is the point.
const controlCharacter = /[\u0000-\u001f\u007f-\u009f]/;
const windowsDrive = /^[A-Za-z]:/;
const loneSurrogate = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

function describeCharacter(character: string): string {
  const code = character.codePointAt(0) ?? 0;
  return `U+${code.toString(16).toUpperCase().padStart(4, '0')}`;
}

/** Why `key` breaks the rules, or undefined when it is fine. Shared by keys and prefixes. */
function findProblem(key: string, isPrefix: boolean, maxBytes: number): string | undefined {
  if (typeof key !== 'string') return 'it is not a string';
  if (key.length === 0) return isPrefix ? undefined : 'it is empty';
  const control = controlCharacter.exec(key);
  if (control) {
    return `it contains the control character ${describeCharacter(control[0])} at position ${control.index}`;
  }
  if (loneSurrogate.test(key))
    return 'it contains an unpaired UTF-16 surrogate, which has no UTF-8 form';
  if (key.includes('\\')) return 'it contains a backslash; use "/" to separate segments';
  if (key.startsWith('/'))
    return 'it is an absolute path; keys are relative, without a leading "/"';
  if (windowsDrive.test(key))
    return 'it starts with a Windows drive letter; keys are relative paths';
  const bytes = Buffer.byteLength(key, 'utf8');
  if (bytes > maxBytes) return `it is ${bytes} bytes long in UTF-8; the limit is ${maxBytes}`;
  const segments = key.split('/');
  // A prefix may end with "/" (a folder) and its last segment may be partial.
  const checked = isPrefix && key.endsWith('/') ? segments.slice(0, -1) : segments;
  for (const segment of checked) {
    if (segment === '') return 'it has an empty segment ("//" or a trailing "/")';
    if (segment === '..') return 'it has a ".." segment, which could escape the storage root';
    if (segment === '.') return 'it has a "." segment; write the key without it';
  }
  return undefined;
}

/**
 * Checks an object key against the one set of rules every backend shares: relative,
 * "/"-separated, no `.`/`..`/empty segments, no backslashes, no control characters, valid
 * Unicode, at most {@link maxKeyBytes} UTF-8 bytes.
 *
 * @throws CairnError `INVALID_KEY` quoting the key and saying why.
 */
export function validateKey(key: string, options: KeyValidationOptions = {}): void {
  const problem = findProblem(key, false, options.maxBytes ?? maxKeyBytes);
  if (problem !== undefined) throw invalidKey(key, problem, options.backend, 'key');
}

/**
 * Checks a listing prefix: the key rules, except that it may be empty, may end with `/`, and
 * its last segment may be partial (`runs/2025` matches `runs/20250810T…`).
 *
 * @throws CairnError `INVALID_KEY` quoting the prefix and saying why.
 */
export function validatePrefix(prefix: string, options: KeyValidationOptions = {}): void {
  const problem = findProblem(prefix, true, options.maxBytes ?? maxKeyBytes);
  if (problem !== undefined) throw invalidKey(prefix, problem, options.backend, 'prefix');
}

/** Whether `key` passes {@link validateKey}. */
export function isValidKey(key: string, options: KeyValidationOptions = {}): boolean {
  return findProblem(key, false, options.maxBytes ?? maxKeyBytes) === undefined;
}

function invalidKey(key: string, problem: string, backend: string | undefined, kind: string) {
  // JSON.stringify shows control characters as escapes, so the quote itself stays readable.
  const quoted = JSON.stringify(String(key)).slice(0, 300);
  return new CairnError({
    code: 'INVALID_KEY',
    backend,
    message: `Invalid storage ${kind} ${quoted}: ${problem}.`,
    details: { key, problem },
  });
}

const utf8 = new TextEncoder();

/**
 * Orders keys by their UTF-8 bytes, the order S3 lists in. JavaScript's `<` compares UTF-16
 * code units, which disagrees for characters above U+FFFF; every backend sorts with this.
 */
export function compareKeys(left: string, right: string): number {
  if (left === right) return 0;
  // Fast path: while both are ASCII-comparable, UTF-16 order equals UTF-8 order.
  const length = Math.min(left.length, right.length);
  for (let index = 0; index < length; index++) {
    const a = left.charCodeAt(index);
    const b = right.charCodeAt(index);
    if (a === b) continue;
    if (a < 0xd800 && b < 0xd800) return a - b;
    // Keys that first differ in a low surrogate share its high surrogate: start the byte
    // comparison at the whole character, or both halves would encode as U+FFFD and tie.
    const previous = index > 0 ? left.charCodeAt(index - 1) : 0;
    const start = previous >= 0xd800 && previous <= 0xdbff ? index - 1 : index;
    return Buffer.compare(utf8.encode(left.slice(start)), utf8.encode(right.slice(start)));
  }
  return left.length - right.length;
}
