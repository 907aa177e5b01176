import { createHash } from 'node:crypto';
import { CairnError, isCairnError } from '../errors/cairn-error.js';
import { checkpointKeys } from '../naming/layout.js';
import type { Storage } from '../storage/storage.js';
import { type CheckpointRecord, maxSidecarBytes, parseSidecar } from './checkpoint-record.js';
import { checkpointsBackend } from './checkpoints-backend.js';
import type { StoreContext } from './store-context.js';

/** Why a sidecar cannot be trusted. */
class DamagedSidecar {
  constructor(
    readonly reason: string,
    readonly cause?: unknown,
  ) {}
}

async function readSidecarBytes(
  storage: Storage,
  key: string,
  signal: AbortSignal | undefined,
): Promise<{ bytes: Buffer; etag: string } | DamagedSidecar> {
  let result: Awaited<ReturnType<Storage['get']>>;
  try {
    result = await storage.get(key, signal === undefined ? {} : { signal });
  } catch (error) {
    // A mirror that found every copy damaged says so with CORRUPT_DATA naming each copy.
    if (isCairnError(error, 'CORRUPT_DATA')) return new DamagedSidecar(error.message, error);
    throw error;
  }
  const { info, body } = result;
  const hash = createHash('sha256');
  const chunks: Buffer[] = [];
  let size = 0;
  try {
    for await (const chunk of body) {
      const bytes = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk as Uint8Array);
      size += bytes.length;
      if (size > maxSidecarBytes) {
        body.destroy();
        return new DamagedSidecar(`it is larger than ${maxSidecarBytes} bytes`);
      }
      hash.update(bytes);
      chunks.push(bytes);
    }
  } catch (error) {
    if (isCairnError(error, 'CORRUPT_DATA')) return new DamagedSidecar(error.message, error);
    throw error;
  }
  const sha256 = hash.digest('hex');
  // Plain storage serves what it holds; the digest it recorded at put time catches bit rot.
  if (info.sha256 !== undefined && info.sha256 !== sha256) {
    return new DamagedSidecar(
      `its bytes (SHA-256 ${sha256}) differ from what the storage recorded when it was written (${info.sha256})`,
    );
  }
  return { bytes: Buffer.concat(chunks), etag: info.etag };
}

async function readStoredRecord(
  storage: Storage,
  id: string,
  signal: AbortSignal | undefined,
): Promise<{ record: CheckpointRecord; etag: string } | DamagedSidecar> {
  const read = await readSidecarBytes(storage, checkpointKeys(id).sidecar, signal);
  if (read instanceof DamagedSidecar) return read;
  const parsed = parseSidecar(read.bytes, id);
  return parsed.ok ? { record: parsed.record, etag: read.etag } : new DamagedSidecar(parsed.reason);
}

async function readRecord(
  context: StoreContext,
  id: string,
  signal: AbortSignal | undefined,
): Promise<CheckpointRecord | DamagedSidecar> {
  const read = await readStoredRecord(context.storage, id, signal);
  return read instanceof DamagedSidecar ? read : read.record;
}

/** What reading one sidecar found, for the catalog. */
export type SidecarReading =
  | { readonly status: 'found'; readonly record: CheckpointRecord; readonly etag: string }
  | { readonly status: 'missing' }
  | { readonly status: 'damaged'; readonly reason: string };

/**
 * Reads the sidecar of checkpoint `id` from `storage`: its record and etag, `missing` when it
 * is gone, or `damaged` with the reason it cannot be trusted (not YAML, not the schema, stored
 * under another id, bytes differing from the digest the storage recorded). I/O failures throw.
 */
export async function readSidecarFrom(
  storage: Storage,
  id: string,
  signal?: AbortSignal,
): Promise<SidecarReading> {
  let read: Awaited<ReturnType<typeof readStoredRecord>>;
  try {
    read = await readStoredRecord(storage, id, signal);
  } catch (error) {
    if (isCairnError(error, 'NOT_FOUND')) return { status: 'missing' };
    throw error;
  }
  if (read instanceof DamagedSidecar) return { status: 'damaged', reason: read.reason };
  return { status: 'found', record: read.record, etag: read.etag };
}

/**
 * The sidecar of checkpoint `id`.
 * @throws CairnError `NOT_FOUND` when there is none (not committed, or deleted);
 *   `CORRUPT_DATA` when it is damaged, saying why.
 */
export async function readSidecar(
  context: StoreContext,
  id: string,
  signal: AbortSignal | undefined,
): Promise<CheckpointRecord> {
  const { sidecar } = checkpointKeys(id);
  let record: CheckpointRecord | DamagedSidecar;
  try {
    record = await readRecord(context, id, signal);
  } catch (error) {
    if (isCairnError(error, 'NOT_FOUND')) {
      throw new CairnError({
        code: 'NOT_FOUND',
        backend: checkpointsBackend,
        message: `No committed checkpoint "${id}" (no sidecar at "${sidecar}"): it was never committed or has been pruned. List the step's checkpoints to see which exist.`,
        cause: error,
        details: { checkpoint: id, key: sidecar },
      });
    }
    throw error;
  }
  if (!(record instanceof DamagedSidecar)) return record;
  throw new CairnError({
    code: 'CORRUPT_DATA',
    backend: checkpointsBackend,
    message: `The sidecar of checkpoint "${id}" at "${sidecar}" cannot be trusted: ${record.reason}. Restore it from a backup, or delete the checkpoint.`,
    cause: record.cause,
    details: { checkpoint: id, key: sidecar, reason: record.reason },
  });
}

/**
 * The sidecar of `id` for a listing: undefined when it is gone (pruned meanwhile) or damaged,
 * the latter with a warning naming the reason, so one bad sidecar does not hide the others.
 * Other failures (I/O) are thrown: a listing must not silently leave checkpoints out.
 */
export async function readSidecarForListing(
  context: StoreContext,
  id: string,
  signal: AbortSignal | undefined,
): Promise<CheckpointRecord | undefined> {
  let record: CheckpointRecord | DamagedSidecar;
  try {
    record = await readRecord(context, id, signal);
  } catch (error) {
    if (isCairnError(error, 'NOT_FOUND')) return undefined;
    throw error;
  }
  if (!(record instanceof DamagedSidecar)) return record;
  context.logger.warn(
    { checkpoint: id, key: checkpointKeys(id).sidecar, reason: record.reason },
    `skipping checkpoint "${id}": its sidecar cannot be trusted (${record.reason})`,
  );
  return undefined;
}
