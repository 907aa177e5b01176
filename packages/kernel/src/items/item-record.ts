import { z } from 'zod';
import { CairnError, isCairnError } from '../errors/cairn-error.js';
import { runKeys } from '../naming/layout.js';
import { readAll, sha256Of } from '../storage/body.js';
import type { Storage } from '../storage/storage.js';

/** Format version of item records and item segments. */
export const itemFormatVersion = 1;

/** A failure as an item record keeps it: the journal's summary plus the stack. */
export const storedItemErrorSchema = z.object({
  /** The error's class name, e.g. `TypeError` or `CairnError`. */
  name: z.string(),
  /** The message, secrets hidden (the map's `redact` hook, then `scrubErrorText`). */
  message: z.string(),
  /** A CairnError code, when it is one. */
  code: z.string().optional(),
  /** The stack, secrets hidden like the message's. */
  stack: z.string().optional(),
});
/** A failure as an item record keeps it. */
export type StoredItemError = z.infer<typeof storedItemErrorSchema>;

/**
 * One finished item, stored as its own object `…/steps/<step>/items/<sequence>.json`, written
 * create-only as soon as the item finishes. Unknown fields are kept for newer writers.
 */
export const itemRecordSchema = z
  .object({
    /** Format version. */
    v: z.literal(itemFormatVersion),
    /** Completion sequence within the (run, step), from 1; the key's number. */
    sequence: z.number().int().positive(),
    /** Position of the item in the input list of the call that ran it. */
    index: z.number().int().nonnegative(),
    /** The item's stable identity, when the map was given a `key` function. */
    key: z.string().optional(),
    /** Hex SHA-256 of the item's canonical JSON (with its parameters, in a sweep). */
    inputDigest: z.string().regex(/^[0-9a-f]{64}$/),
    /** How the item ended. */
    status: z.enum(['done', 'failed']),
    /** The worker's result as JSON (absent when it returned undefined or failed). */
    value: z.unknown().optional(),
    /** Why it failed (failed items only). */
    error: storedItemErrorSchema.optional(),
    /** Attempts made, from 1. */
    attempt: z.number().int().positive(),
    /** The sweep parameters the item ran with. */
    parameters: z.record(z.string(), z.unknown()).optional(),
    /** When the first attempt started (ISO 8601). */
    startedAt: z.string(),
    /** When the item finished (ISO 8601). */
    finishedAt: z.string(),
    /** Time from the first attempt's start to the end, retries and waits included. */
    durationMs: z.number().nonnegative(),
  })
  .refine((record) => record.status !== 'failed' || record.error !== undefined, {
    message: 'a failed item record must carry its error',
    path: ['error'],
  });
/** One finished item's record. */
export type ItemRecord = z.infer<typeof itemRecordSchema>;

/** Options of {@link readItemRecord}. */
export interface ReadItemRecordOptions {
  /** Cancels the read. */
  readonly signal?: AbortSignal;
}

/**
 * Reads and checks one item record: the bytes against the digest the backend recorded (when
 * it keeps one), the JSON against {@link itemRecordSchema}, and the record's sequence against
 * its key.
 *
 * @throws CairnError `NOT_FOUND` when there is no record at `sequence`; `CORRUPT_DATA` when it
 *   does not verify or parse; the storage's errors otherwise.
 */
export async function readItemRecord(
  storage: Storage,
  run: string,
  step: string,
  sequence: number,
  options: ReadItemRecordOptions = {},
): Promise<ItemRecord> {
  const key = runKeys(run).step(step).item(sequence);
  const { info, body } = await storage.get(
    key,
    options.signal === undefined ? {} : { signal: options.signal },
  );
  const bytes = await readAll(body);
  if (info.sha256 !== undefined && sha256Of(bytes) !== info.sha256) {
    throw corruptRecord(key, 'its bytes do not match the digest recorded when it was written');
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(bytes.toString('utf8'));
  } catch (error) {
    throw corruptRecord(key, 'it is not valid JSON', error);
  }
  const checked = itemRecordSchema.safeParse(parsed);
  if (!checked.success) {
    const issue = checked.error.issues[0];
    const where = issue === undefined ? '' : ` at "${issue.path.join('.')}": ${issue.message}`;
    throw corruptRecord(key, `it is not an item record${where}`, checked.error);
  }
  if (checked.data.sequence !== sequence) {
    throw corruptRecord(key, `it says it is sequence ${checked.data.sequence}`);
  }
  return checked.data;
}

function corruptRecord(key: string, problem: string, cause?: unknown): CairnError {
  return new CairnError({
    code: 'CORRUPT_DATA',
    backend: 'items',
    message: `The item record "${key}" cannot be used: ${problem}. A resume runs that item again; delete the record if it keeps coming back.`,
    ...(cause === undefined ? {} : { cause }),
    details: { key },
  });
}

/** Whether a read failure means the record is unusable (so the item is redone), not the I/O. */
export function isUnusableRecord(error: unknown): boolean {
  return isCairnError(error, 'CORRUPT_DATA', 'NOT_FOUND');
}
