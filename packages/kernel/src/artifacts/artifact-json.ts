import type { z } from 'zod';
import { isCairnError } from '../errors/cairn-error.js';
import { readAll } from '../storage/body.js';
import type { Storage } from '../storage/storage.js';
import { parseArtifactRecord } from './artifact-records.js';

/** A record read with the etag to replace it by compare-and-swap. */
export interface ReadRecord<Value> {
  /** The parsed record. */
  readonly value: Value;
  /** The stored object's etag, for `ifMatch`. */
  readonly etag: string;
}

/**
 * Reads and parses a JSON record, or undefined when there is none.
 * @throws CairnError `CORRUPT_DATA` for a record that does not parse; the storage's errors.
 */
export async function readJsonRecord<Schema extends z.ZodType>(
  storage: Storage,
  key: string,
  schema: Schema,
  signal?: AbortSignal,
): Promise<ReadRecord<z.output<Schema>> | undefined> {
  let result: Awaited<ReturnType<Storage['get']>>;
  try {
    result = await storage.get(key, signal === undefined ? {} : { signal });
  } catch (error) {
    if (isCairnError(error, 'NOT_FOUND')) return undefined;
    throw error;
  }
  const text = (await readAll(result.body)).toString('utf8');
  return { value: parseArtifactRecord(schema, text, key), etag: result.info.etag };
}

/** Serialises a record as stored: indented JSON with a final newline. */
export function serialiseRecord(value: unknown): string {
  return `${JSON.stringify(value, null, 1)}\n`;
}

/**
 * Creates a record that must not exist yet; false when one already does (an edge written
 * before, by this writer's earlier attempt or another's, says the same thing).
 */
export async function createRecordOnce(
  storage: Storage,
  key: string,
  value: unknown,
  signal?: AbortSignal,
): Promise<boolean> {
  try {
    await storage.put(key, serialiseRecord(value), {
      ifNoneMatch: '*',
      contentType: 'application/json',
      ...(signal === undefined ? {} : { signal }),
    });
    return true;
  } catch (error) {
    if (isCairnError(error, 'PRECONDITION_FAILED')) return false;
    throw error;
  }
}
