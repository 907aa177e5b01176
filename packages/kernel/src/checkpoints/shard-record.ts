import { parse, stringify } from 'yaml';
import { z } from 'zod';
import { CairnError, isCairnError } from '../errors/cairn-error.js';
import { namePattern } from '../naming/names.js';
import { timeIdPattern } from '../naming/time-id.js';
import { readAll } from '../storage/body.js';
import { maxSidecarBytes, maxWorldSize } from './checkpoint-record.js';
import { checkpointsBackend } from './checkpoints-backend.js';
import type { StoreContext } from './store-context.js';

const hexDigest = /^[0-9a-f]{64}$/;

/**
 * What the first rank to save a sharded checkpoint settles for all of them, created
 * create-only at the name's key: the checkpoint's id (so ranks agree on it without talking to
 * each other, only to storage) and what every rank must match.
 */
export const shardNameRecordSchema = z.object({
  format: z.literal('cairn.checkpoint-name/v1'),
  /** The checkpoint id the name was given, `<step>/<time id>` of the first rank's clock. */
  checkpoint: z.string(),
  run: z.string(),
  step: z.string().regex(namePattern),
  name: z.string().regex(namePattern),
  worldSize: z.number().int().positive().max(maxWorldSize),
  codec: z.string().min(1),
  contentType: z.string().min(1),
  /** When the first rank arrived: the checkpoint's `createdAt`. */
  createdAt: z.iso.datetime(),
});
/** See {@link shardNameRecordSchema}. */
export type ShardNameRecord = z.infer<typeof shardNameRecordSchema>;

/**
 * One rank's shard record, created (create-only) once its payload has been read back and
 * verified: it vouches for that payload, as a sidecar does for a whole checkpoint.
 */
export const shardRecordSchema = z.object({
  format: z.literal('cairn.checkpoint-shard/v1'),
  checkpoint: z.string(),
  rank: z.number().int().nonnegative(),
  worldSize: z.number().int().positive().max(maxWorldSize),
  size: z.number().int().nonnegative(),
  sha256: z.string().regex(hexDigest),
  /** The write whose payload this record vouches for. */
  write: z.string().regex(timeIdPattern),
  createdAt: z.iso.datetime(),
  /** Rank 0's metadata, metrics and tags: the checkpoint's. Empty for other ranks. */
  metadata: z.record(z.string(), z.json()),
  metrics: z.record(z.string(), z.number()),
  tags: z.array(z.string()),
});
/** See {@link shardRecordSchema}. */
export type ShardRecord = z.infer<typeof shardRecordSchema>;

/** A small record as YAML. */
export function formatRecord(record: object): string {
  return stringify(record, { lineWidth: 0 });
}

/**
 * Reads a small YAML record at `key`, or undefined when there is none.
 * @throws CairnError `CORRUPT_DATA` when it is not what `schema` describes, or not the record
 *   of `checkpoint` (a record copied to another key must not vouch for the wrong shard).
 */
export async function readRecordAt<Schema extends z.ZodType<{ checkpoint: string }>>(
  context: StoreContext,
  key: string,
  schema: Schema,
  checkpoint?: string,
): Promise<z.infer<Schema> | undefined> {
  let bytes: Buffer;
  try {
    const { body, info } = await context.storage.get(key);
    if (info.size > maxSidecarBytes) {
      body.destroy();
      throw damaged(key, schema, `it is larger than ${maxSidecarBytes} bytes`);
    }
    bytes = await readAll(body);
  } catch (error) {
    if (isCairnError(error, 'NOT_FOUND')) return undefined;
    throw error;
  }
  let value: unknown;
  try {
    value = parse(bytes.toString('utf8'));
  } catch (error) {
    throw damaged(key, schema, `it is not valid YAML (${(error as Error).message.split('\n')[0]})`);
  }
  const parsed = schema.safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw damaged(
      key,
      schema,
      `${issue?.path.join('.') || 'record'}: ${issue?.message ?? 'invalid'}`,
    );
  }
  if (checkpoint !== undefined && parsed.data.checkpoint !== checkpoint) {
    throw damaged(
      key,
      schema,
      `it names checkpoint "${parsed.data.checkpoint}", not "${checkpoint}"`,
    );
  }
  return parsed.data;
}

function damaged(key: string, schema: z.ZodType, reason: string): CairnError {
  // Neither kind of record is read when a committed checkpoint is loaded, so the advice never
  // asks to delete a committed checkpoint's parts.
  const advice =
    schema === shardNameRecordSchema
      ? 'It names the checkpoint a shared name was given, which may already be committed and is whole without it; save the shards under a new name. Delete this record only once no rank still saves under its name.'
      : "If its checkpoint is committed (has a sidecar), it is whole without this record and nothing needs doing. Otherwise delete that checkpoint's shard folder and save every rank's shard again.";
  return new CairnError({
    code: 'CORRUPT_DATA',
    backend: checkpointsBackend,
    message: `The record at "${key}" cannot be trusted: ${reason}. ${advice}`,
    details: { key, reason },
  });
}
