import { CairnError } from '../errors/cairn-error.js';
import { readAll, sha256Of } from '../storage/body.js';
import type { Storage } from '../storage/storage.js';
import { itemFormatVersion } from './item-record.js';

/** A segment entry's status: 0 done, 1 failed (numbers keep 100,000 entries small). */
export type SegmentStatus = 0 | 1;

/**
 * One item in a segment: `[index, sequence, status, digest prefix]`, plus the item's key when
 * the map was given a `key` function.
 */
export type ItemSegmentEntry =
  | readonly [index: number, sequence: number, status: SegmentStatus, digestPrefix: string]
  | readonly [
      index: number,
      sequence: number,
      status: SegmentStatus,
      digestPrefix: string,
      key: string,
    ];

/**
 * A compact summary of the item records with sequences `firstSequence..lastSequence`, stored
 * create-only at `…/steps/<step>/item-segments/<segment>.json` once all of them are durable, so
 * a resume reads a few segments instead of every record. A sequence in the range without an
 * entry has no usable record (its write failed, or the record was found corrupt). A segment may
 * overlap an earlier one (a larger summary of the same block whose smaller predecessor was not
 * deleted yet): readers take the union, the latest sequence of an item winning.
 */
export interface ItemSegment {
  /** Format version. */
  readonly v: typeof itemFormatVersion;
  /** The segment's number, from 1; the key's number. */
  readonly segment: number;
  /** First sequence covered. */
  readonly firstSequence: number;
  /** Last sequence covered (inclusive). */
  readonly lastSequence: number;
  /** The records in the range, by sequence. */
  readonly items: readonly ItemSegmentEntry[];
}

/** The segment as stored: one line of JSON. */
export function encodeItemSegment(segment: ItemSegment): string {
  return JSON.stringify(segment);
}

const isCount = (value: unknown, minimum: number): value is number =>
  typeof value === 'number' && Number.isSafeInteger(value) && value >= minimum;

/**
 * What is wrong with a decoded segment, or undefined when it is sound. Written by hand rather
 * than with zod: a resume checks 100,000 entries and must stay in the tens of milliseconds.
 */
function findSegmentProblem(value: unknown, expectedSegment: number): string | undefined {
  if (typeof value !== 'object' || value === null) return 'it is not an object';
  const segment = value as Record<string, unknown>;
  if (segment.v !== itemFormatVersion) return `its format version is ${String(segment.v)}`;
  if (segment.segment !== expectedSegment)
    return `it says it is segment ${String(segment.segment)}`;
  const { firstSequence, lastSequence, items } = segment;
  if (!isCount(firstSequence, 1) || !isCount(lastSequence, firstSequence)) {
    return 'its sequence range is not a range of whole numbers from 1';
  }
  if (!Array.isArray(items)) return 'it has no item list';
  let previous = firstSequence - 1;
  for (const entry of items as unknown[]) {
    if (!Array.isArray(entry) || entry.length < 4 || entry.length > 5) {
      return 'an entry is not [index, sequence, status, digest prefix, key?]';
    }
    const [index, sequence, status, prefix, key] = entry as unknown[];
    if (!isCount(index, 0)) return 'an entry has no valid index';
    if (!isCount(sequence, previous + 1) || (sequence as number) > lastSequence) {
      return `entry sequence ${String(sequence)} is out of order or outside the range`;
    }
    if (status !== 0 && status !== 1) return `an entry has status ${String(status)}`;
    if (typeof prefix !== 'string') return 'an entry has no digest prefix';
    if (entry.length === 5 && typeof key !== 'string') return 'an entry has a key that is not text';
    previous = sequence as number;
  }
  return undefined;
}

/**
 * Reads and checks one segment: the bytes against the backend's recorded digest, then the
 * structure (numbers, ordering, range).
 *
 * @throws CairnError `CORRUPT_DATA` when it does not verify or decode; the storage's errors
 *   (including `NOT_FOUND`) otherwise.
 */
export async function readItemSegment(
  storage: Storage,
  key: string,
  expectedSegment: number,
  signal?: AbortSignal,
): Promise<ItemSegment> {
  const { info, body } = await storage.get(key, signal === undefined ? {} : { signal });
  const bytes = await readAll(body);
  let problem: string | undefined;
  let decoded: unknown;
  if (info.sha256 !== undefined && sha256Of(bytes) !== info.sha256) {
    problem = 'its bytes do not match the digest recorded when it was written';
  } else {
    try {
      decoded = JSON.parse(bytes.toString('utf8'));
      problem = findSegmentProblem(decoded, expectedSegment);
    } catch {
      problem = 'it is not valid JSON';
    }
  }
  if (problem !== undefined) {
    throw new CairnError({
      code: 'CORRUPT_DATA',
      backend: 'items',
      message: `The item segment "${key}" cannot be used: ${problem}. Its items are found from their own records instead.`,
      details: { key },
    });
  }
  return decoded as ItemSegment;
}
