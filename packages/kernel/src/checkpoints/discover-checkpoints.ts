import { layout, parseRunId, stepCheckpointsPrefix } from '../naming/layout.js';
import { formatTimeStamp, timeIdPattern, timeOfId } from '../naming/time-id.js';
import type { CheckpointRecord } from './checkpoint-record.js';
import type { LatestQuery, ListQuery } from './checkpoint-store.js';
import { readSidecarForListing } from './read-sidecar.js';
import type { StoreContext } from './store-context.js';

const sidecarSuffix = `/${layout.checkpointSidecarName}`;

/** The checkpoint id a sidecar key belongs to, or undefined for any other key. */
export function idOfSidecarKey(key: string): string | undefined {
  if (!key.startsWith(layout.checkpointsRoot) || !key.endsWith(sidecarSuffix)) return undefined;
  const id = key.slice(layout.checkpointsRoot.length, -sidecarSuffix.length);
  const slash = id.indexOf('/');
  if (slash <= 0 || id.indexOf('/', slash + 1) >= 0) return undefined;
  return timeIdPattern.test(id.slice(slash + 1)) ? id : undefined;
}

/**
 * Ids of the committed checkpoints under `prefix`, in key order (time order within a step),
 * from keys alone: a payload without a sidecar is never listed.
 */
async function* committedIds(
  context: StoreContext,
  prefix: string,
  options: { readonly startAfter?: string; readonly signal?: AbortSignal | undefined },
): AsyncGenerator<string> {
  for await (const info of context.storage.list({
    prefix,
    ...(options.startAfter === undefined ? {} : { startAfter: options.startAfter }),
    ...(options.signal === undefined ? {} : { signal: options.signal }),
  })) {
    const id = idOfSidecarKey(info.key);
    if (id !== undefined) yield id;
  }
}

function compareStrings(left: string, right: string): number {
  return left < right ? -1 : left > right ? 1 : 0;
}

function timeIdOf(id: string): string {
  return id.slice(id.indexOf('/') + 1);
}

/** Committed checkpoints matching `query`, oldest first; damaged sidecars are skipped. */
export async function* listRecords(
  context: StoreContext,
  query: ListQuery & { readonly startAfter?: string },
): AsyncGenerator<CheckpointRecord> {
  if (query.run !== undefined) parseRunId(query.run);
  let ids: AsyncIterable<string> | string[];
  if (query.step !== undefined) {
    ids = committedIds(context, stepCheckpointsPrefix(query.step), query);
  } else {
    // Across steps, key order is step order: gather the ids (strings only, never sidecars) and
    // sort them by time.
    ids = [];
    for await (const id of committedIds(context, layout.checkpointsRoot, { signal: query.signal }))
      ids.push(id);
    ids.sort(
      (left, right) =>
        compareStrings(timeIdOf(left), timeIdOf(right)) || compareStrings(left, right),
    );
  }
  for await (const id of ids) {
    const record = await readSidecarForListing(context, id, query.signal);
    if (record === undefined) continue;
    if (query.run !== undefined && record.run !== query.run) continue;
    yield record;
  }
}

/**
 * The newest committed checkpoint of a step (and run): walks the step's ids newest first and
 * reads sidecars only until one matches.
 */
export async function latestRecord(
  context: StoreContext,
  query: LatestQuery & { readonly startAfter?: string },
): Promise<CheckpointRecord | undefined> {
  if (query.run !== undefined) parseRunId(query.run);
  const ids: string[] = [];
  for await (const id of committedIds(context, stepCheckpointsPrefix(query.step), query))
    ids.push(id);
  for (let index = ids.length - 1; index >= 0; index--) {
    const record = await readSidecarForListing(context, ids[index] as string, query.signal);
    if (record === undefined) continue;
    if (query.run !== undefined && record.run !== query.run) continue;
    return record;
  }
  return undefined;
}

/**
 * How far before its run's own time id a checkpoint of the run may be stamped: clocks of the
 * machines resuming a run may differ a little from the one that started it.
 */
export const runClockSkewMs = 10 * 60 * 1000;

/**
 * The key to list a step from to find the checkpoints of `run`: those stamped before the run
 * began (less {@link runClockSkewMs}) cannot be its own.
 */
export function runStartKey(run: string, step: string): string | undefined {
  const started = timeOfId(parseRunId(run).timeId);
  if (started === undefined) return undefined;
  return `${stepCheckpointsPrefix(step)}${formatTimeStamp(Math.max(0, started.getTime() - runClockSkewMs))}`;
}

/**
 * The highest sequence among the checkpoints of `run` and `step`, or 0 when it has none. Only
 * checkpoints stamped after the run began (less {@link runClockSkewMs}) are looked at, so a
 * new run does not read the sidecars of every earlier run.
 */
export async function latestSequence(
  context: StoreContext,
  run: string,
  step: string,
  signal: AbortSignal | undefined,
): Promise<number> {
  const startAfter = runStartKey(run, step);
  // The highest, not the newest by id: a resume on a machine whose clock is behind stamps its
  // checkpoints earlier than the ones before it. Read once per store, run and step.
  let highest = 0;
  for await (const record of listRecords(context, {
    step,
    run,
    ...(startAfter === undefined ? {} : { startAfter }),
    ...(signal === undefined ? {} : { signal }),
  })) {
    highest = Math.max(highest, record.sequence ?? 0);
  }
  return highest;
}
