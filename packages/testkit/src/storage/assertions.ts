import {
  type CairnError,
  type CairnErrorCode,
  isCairnError,
  type ObjectInfo,
  type PutOptions,
  readAll,
  type Storage,
  type StorageBody,
  sha256Of,
} from '@cairn/kernel';
import { expect } from 'vitest';

/** A one-line description of anything thrown, for assertion messages. */
export function describeError(error: unknown): string {
  if (isCairnError(error)) return `CairnError ${error.code}: ${error.message}`;
  if (error instanceof Error) return `${error.name}: ${error.message}`;
  return String(error);
}

/**
 * Runs `operation` and expects it to reject with a Cairn error carrying one of `codes` and the
 * storage's name as `backend`. A synchronous throw fails too: storage methods return promises,
 * and callers chain `.catch` on them.
 *
 * @param action - what was attempted, for the failure message (e.g. `get of a missing key`).
 * @returns the error, for further checks.
 */
export async function expectCairnError(
  storage: Storage,
  action: string,
  operation: () => Promise<unknown>,
  codes: readonly CairnErrorCode[],
): Promise<CairnError> {
  let pending: Promise<unknown>;
  try {
    pending = operation();
  } catch (error) {
    return expect.fail(
      `${action}: threw synchronously (${describeError(error)}) instead of returning a rejected promise`,
    );
  }
  let outcome: { failed: false } | { failed: true; error: unknown };
  try {
    await pending;
    outcome = { failed: false };
  } catch (error) {
    outcome = { failed: true, error };
  }
  const expected = codes.join(' or ');
  if (!outcome.failed) return expect.fail(`${action}: expected ${expected}, but it succeeded`);
  const { error } = outcome;
  if (!isCairnError(error)) {
    return expect.fail(`${action}: expected a CairnError ${expected}, got ${describeError(error)}`);
  }
  if (!codes.includes(error.code)) {
    return expect.fail(`${action}: expected ${expected}, got ${describeError(error)}`);
  }
  expect(error.backend, `${action}: the error names the backend`).toBe(storage.name);
  return error;
}

/** Reads an object whole. Only for the small objects checks write. */
export async function readObject(
  storage: Storage,
  key: string,
): Promise<{ info: ObjectInfo; bytes: Buffer }> {
  const { info, body } = await storage.get(key);
  return { info, bytes: await readAll(body) };
}

/** Reads an object whole as UTF-8 text. */
export async function readText(storage: Storage, key: string): Promise<string> {
  return (await readObject(storage, key)).bytes.toString('utf8');
}

/** Drains a listing into its keys, in the order the backend gave them. */
export async function collectKeys(listing: AsyncIterable<ObjectInfo>): Promise<string[]> {
  const keys: string[] = [];
  for await (const info of listing) keys.push(info.key);
  return keys;
}

/** Keys with `prefix` cut off, so assertion diffs show the part each check chose. */
export function withoutPrefix(keys: readonly string[], prefix: string): string[] {
  return keys.map((key) => (key.startsWith(prefix) ? key.slice(prefix.length) : key));
}

/** Writes a small object at each of `keys`, a few at a time (bounded, for remote backends). */
export async function putMany(
  storage: Storage,
  keys: readonly string[],
  contentOf: (key: string) => string = (key) => `content of ${key}`,
): Promise<void> {
  const parallel = 8;
  for (let start = 0; start < keys.length; start += parallel) {
    await Promise.all(
      keys.slice(start, start + parallel).map((key) => storage.put(key, contentOf(key))),
    );
  }
}

/**
 * Checks an object's info against the bytes it should describe: key, size, a non-empty etag,
 * a valid date, and the SHA-256 when the backend reports one (it must when it declares
 * `sha256`).
 */
export function expectInfoDescribes(
  storage: Storage,
  info: ObjectInfo,
  key: string,
  bytes: Uint8Array,
  source: string,
): void {
  expect(info.key, `${source}: key`).toBe(key);
  expect(info.size, `${source}: size in bytes`).toBe(bytes.byteLength);
  expect(typeof info.etag, `${source}: etag is a string`).toBe('string');
  expect(info.etag.length, `${source}: etag is not empty`).toBeGreaterThan(0);
  expect(info.lastModified, `${source}: lastModified is a Date`).toBeInstanceOf(Date);
  expect(Number.isNaN(info.lastModified.getTime()), `${source}: lastModified is valid`).toBe(false);
  if (storage.capabilities.sha256 || info.sha256 !== undefined) {
    expect(info.sha256, `${source}: sha256`).toBe(sha256Of(bytes));
  }
}

/**
 * Puts `body`, then checks that put's info, head's info, get's info and get's bytes all agree
 * with `expected`.
 *
 * @returns the info put returned.
 */
export async function expectRoundTrip(
  storage: Storage,
  key: string,
  body: StorageBody,
  expected: Uint8Array,
  options: PutOptions = {},
): Promise<ObjectInfo> {
  const stored = await storage.put(key, body, options);
  expectInfoDescribes(storage, stored, key, expected, 'put');

  const headed = await storage.head(key);
  expect(headed, 'head after put').toBeDefined();
  if (headed === undefined) return stored;
  expectInfoDescribes(storage, headed, key, expected, 'head');
  expect(headed.etag, 'head etag equals put etag').toBe(stored.etag);

  const { info, body: stream } = await storage.get(key);
  expect(stream.readableObjectMode, 'get body is a byte stream, not an object-mode stream').toBe(
    false,
  );
  const bytes = await readAll(stream);
  expectInfoDescribes(storage, info, key, expected, 'get');
  expect(info.etag, 'get etag equals put etag').toBe(stored.etag);
  expect(bytes.equals(Buffer.from(expected)), 'get returns exactly the bytes put').toBe(true);
  return stored;
}

/** Checks that nothing is visible at `key`: head, get and a listing all agree it is absent. */
export async function expectAbsent(storage: Storage, key: string, context: string): Promise<void> {
  expect(await storage.head(key), `${context}: head finds nothing`).toBeUndefined();
  await expectCairnError(storage, `${context}: get`, () => storage.get(key), ['NOT_FOUND']);
  const listed = await collectKeys(storage.list({ prefix: key }));
  expect(listed, `${context}: list does not show the key`).not.toContain(key);
}

/** Checks that `key` still holds exactly `bytes` under `etag` (a failed write changed nothing). */
export async function expectUnchanged(
  storage: Storage,
  key: string,
  bytes: Uint8Array,
  etag: string,
  context: string,
): Promise<void> {
  const headed = await storage.head(key);
  expect(headed?.etag, `${context}: etag is unchanged`).toBe(etag);
  const current = await readObject(storage, key);
  expect(current.bytes.equals(Buffer.from(bytes)), `${context}: content is unchanged`).toBe(true);
}
