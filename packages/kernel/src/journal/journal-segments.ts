import { runKeys } from '../naming/layout.js';
import type { GetResult, Storage } from '../storage/storage.js';
import { type SegmentLine, segmentLines } from './journal-lines.js';

/** A journal segment found in storage. */
export interface SegmentReference {
  /** Its storage key. */
  readonly key: string;
  /** Its number, from 1. */
  readonly number: number;
}

const segmentNamePattern = /^(\d{12})\.jsonl$/;

/** The segment number of `key` under `prefix`, or undefined when it is not a segment's key. */
export function segmentNumberOf(prefix: string, key: string): number | undefined {
  if (!key.startsWith(prefix)) return undefined;
  const match = segmentNamePattern.exec(key.slice(prefix.length));
  return match?.[1] === undefined ? undefined : Number(match[1]);
}

/**
 * The run's journal segments in key order, which is number order (the numbers are
 * zero-padded), fetched page by page. Keys that are not segments are passed over: they are
 * not part of the chain whatever they hold.
 */
export async function* listSegments(
  storage: Storage,
  run: string,
  options: { readonly startAfter?: string; readonly signal?: AbortSignal } = {},
): AsyncGenerator<SegmentReference> {
  const prefix = runKeys(run).journalPrefix;
  for await (const info of storage.list({
    prefix,
    ...(options.startAfter === undefined ? {} : { startAfter: options.startAfter }),
    ...(options.signal === undefined ? {} : { signal: options.signal }),
  })) {
    const number = segmentNumberOf(prefix, info.key);
    if (number !== undefined) yield { key: info.key, number };
  }
}

/** The lines of one segment, streamed; the body is destroyed if the caller stops early. */
export async function* readSegmentLines(
  storage: Storage,
  key: string,
  signal?: AbortSignal,
): AsyncGenerator<SegmentLine> {
  const result: GetResult = await storage.get(key, signal === undefined ? {} : { signal });
  try {
    yield* segmentLines(result.body);
  } finally {
    result.body.destroy();
  }
}
