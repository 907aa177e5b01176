import { CORE_SCHEMA, load } from 'js-yaml';
import { runClockSkewMs } from '../checkpoints/discover-checkpoints.js';
import { isCairnError } from '../errors/cairn-error.js';
import { catalogChangesPrefix, checkpointKeys, stepCheckpointsPrefix } from '../naming/layout.js';
import { formatTimeStamp, timeIdPattern, timeOfId } from '../naming/time-id.js';
import { readAll } from '../storage/body.js';
import { catalogChangeSchema, changeRecordRetentionMs } from './catalog-changes.js';
import {
  catalogIndexFormat,
  type IndexedSidecar,
  type SegmentReference,
  type StepHead,
} from './catalog-index-format.js';
import {
  type CatalogIndexContext,
  deleteSegments,
  readHead,
  readSegment,
  readSidecars,
  SegmentMemory,
  type StoredHead,
  UnusableSegment,
  writeHead,
  writeSegment,
} from './step-index-store.js';

/** A step's index, fresh as of the refresh that produced it. */
export interface StepIndex {
  /** The head: its segments in id order. */
  readonly head: StepHead;
  /** Segments this refresh wrote or read, kept (room permitting) so the walk reuses them. */
  readonly segments: SegmentMemory;
}

function timeIdOfKey(key: string | undefined, prefix: string): string | undefined {
  if (key === undefined || !key.startsWith(prefix)) return undefined;
  const rest = key.slice(prefix.length);
  const end = rest.indexOf('/');
  const timeId = end < 0 ? rest.replace(/\.yaml$/, '') : rest.slice(0, end);
  return timeIdPattern.test(timeId) ? timeId : undefined;
}

/**
 * The key to list from to see everything stamped after `key` and up to {@link runClockSkewMs}
 * before it: a writer whose clock is a little behind, or whose save took a while, stamps keys
 * that sort before what a listing already saw.
 */
function windowStart(prefix: string, key: string | undefined): string | undefined {
  const timeId = timeIdOfKey(key, prefix);
  const time = timeId === undefined ? undefined : timeOfId(timeId);
  if (time === undefined) return undefined;
  return `${prefix}${formatTimeStamp(Math.max(0, time.getTime() - runClockSkewMs))}`;
}

function listOptions(context: CatalogIndexContext, prefix: string, startAfter?: string) {
  return {
    prefix,
    ...(startAfter === undefined ? {} : { startAfter }),
    ...(context.signal === undefined ? {} : { signal: context.signal }),
  };
}

/**
 * The ids of the checkpoint folders of `step` (after `startAfter`), committed or not, in id
 * order. Folders are listed, not keys: on a file system that is one directory read instead of
 * one per checkpoint, and a folder without a sidecar simply reads as missing.
 */
async function listCheckpointFolders(
  context: CatalogIndexContext,
  step: string,
  startAfter?: string,
): Promise<string[]> {
  const prefix = stepCheckpointsPrefix(step);
  const ids: string[] = [];
  let cursor: string | undefined;
  do {
    const page = await context.storage.listPage({
      ...listOptions(context, prefix, startAfter),
      delimiter: '/',
      allowEmptyFolders: true,
      pageSize: 5000,
      ...(cursor === undefined ? {} : { cursor }),
    });
    for (const folder of page.prefixes) {
      const timeId = folder.slice(prefix.length, -1);
      if (timeIdPattern.test(timeId)) ids.push(`${step}/${timeId}`);
    }
    cursor = page.cursor;
  } while (cursor !== undefined);
  return ids;
}

/** The newest change record key of `step`, or undefined when it has none. */
async function newestChangeKey(
  context: CatalogIndexContext,
  step: string,
): Promise<string | undefined> {
  let newest: string | undefined;
  for await (const info of context.storage.list(listOptions(context, catalogChangesPrefix(step))))
    newest = info.key;
  return newest;
}

/** One change record, as {@link readChanges} found it. */
interface ListedChange {
  readonly key: string;
  readonly removed: readonly string[];
  readonly rewritten: readonly string[];
  readonly added: readonly string[];
}

/** The change records of `step` after `startAfter`, oldest first (damaged ones logged, skipped). */
async function readChanges(
  context: CatalogIndexContext,
  step: string,
  startAfter: string | undefined,
): Promise<ListedChange[]> {
  const changes: ListedChange[] = [];
  const prefix = catalogChangesPrefix(step);
  const ofStep = (ids: readonly string[]) => ids.filter((id) => id.startsWith(`${step}/`));
  for await (const info of context.storage.list(listOptions(context, prefix, startAfter))) {
    let text: string;
    try {
      const { body } = await context.storage.get(
        info.key,
        context.signal === undefined ? {} : { signal: context.signal },
      );
      text = (await readAll(body)).toString('utf8');
    } catch (error) {
      if (isCairnError(error, 'NOT_FOUND')) continue;
      throw error;
    }
    const parsed = catalogChangeSchema.safeParse(safeLoad(text));
    if (!parsed.success) {
      context.logger.warn({ step, key: info.key }, 'ignoring a damaged catalog change record');
      continue;
    }
    changes.push({
      key: info.key,
      removed: ofStep(parsed.data.removed),
      rewritten: ofStep(parsed.data.rewritten),
      added: ofStep(parsed.data.added),
    });
  }
  return changes;
}

/**
 * Whether a change record has taken its full effect, so later refreshes may skip it: every
 * removed sidecar is gone and every added one is there. A record is written before its
 * deletions (or rewrites), so one read while they are under way is re-read next time, until it
 * leaves the clock-skew window; a rewrite is never settled, and is re-read through the window.
 */
function isSettled(
  change: ListedChange,
  updates: Map<string, IndexedSidecar | undefined>,
): boolean {
  return (
    change.rewritten.length === 0 &&
    change.removed.every((id) => updates.get(id) === undefined) &&
    change.added.every((id) => updates.get(id) !== undefined)
  );
}

function safeLoad(text: string): unknown {
  try {
    return load(text, { schema: CORE_SCHEMA });
  } catch {
    return undefined;
  }
}

/** Cuts sorted entries into segments of about `size`: never empty, never above 1.5 × size. */
function chunk(entries: readonly IndexedSidecar[], size: number): IndexedSidecar[][] {
  if (entries.length === 0) return [];
  if (entries.length <= Math.floor(size * 1.5)) return [[...entries]];
  const chunks: IndexedSidecar[][] = [];
  for (let start = 0; start < entries.length; start += size)
    chunks.push(entries.slice(start, start + size));
  return chunks;
}

/**
 * Builds the index of `step` from its sidecars: lists its checkpoint folders, reads every
 * sidecar (a folder without one is a save in progress or an abandoned payload, and is left
 * out), and writes segments as they fill, so memory holds one segment, not the step.
 */
export async function buildStepIndex(
  context: CatalogIndexContext,
  step: string,
  previous: StoredHead | undefined,
): Promise<StepIndex> {
  // Taken before listing, so a change recorded meanwhile is applied again next time.
  const changesThrough = await newestChangeKey(context, step);
  const ids = await listCheckpointFolders(context, step);
  const segments = SegmentMemory.for(context);
  const references: SegmentReference[] = [];
  let pending: IndexedSidecar[] = [];
  let newest: string | undefined;
  for (let start = 0; start < ids.length; start += context.segmentSize) {
    const readings = await readSidecars(context, ids.slice(start, start + context.segmentSize));
    for (const reading of readings) {
      if (reading === undefined) continue;
      pending.push(reading);
      newest = reading.id;
    }
    if (pending.length >= context.segmentSize) {
      references.push(await writeSegment(context, step, pending, segments));
      pending = [];
    }
  }
  if (pending.length > 0) references.push(await writeSegment(context, step, pending, segments));
  const head: StepHead = {
    format: catalogIndexFormat,
    step,
    segments: references,
    ...(newest === undefined ? {} : { listedThrough: checkpointKeys(newest).sidecar }),
    ...(changesThrough === undefined ? {} : { changesThrough }),
    // None: a change under way while the sidecars were read is applied again next time.
    settledChanges: [],
    writtenAt: new Date().toISOString(),
  };
  // A step with no checkpoint and no index (a typo in a query) leaves nothing behind.
  if (references.length === 0 && previous === undefined) return { head, segments };
  const stored = await writeHead(context, head, previous);
  if (stored.etag !== undefined && previous !== undefined) {
    const kept = new Set(references.map((reference) => reference.key));
    await deleteSegments(
      context,
      previous.head.segments.filter((reference) => !kept.has(reference.key)),
    );
  }
  return { head, segments };
}

/** The segment an id belongs in: the last whose first id is not after it (else the first). */
function segmentFor(references: readonly SegmentReference[], id: string): number {
  let chosen = 0;
  for (let index = 0; index < references.length; index++) {
    if ((references[index] as SegmentReference).first <= id) chosen = index;
    else break;
  }
  return chosen;
}

/**
 * Whether change records this index has not seen may already have been collected: it last
 * looked at them (or was written) longer ago than their retention, less a day.
 */
function outlivedChanges(head: StepHead): boolean {
  const lastLook = Date.parse(head.writtenAt);
  return !(Date.now() - lastLook < changeRecordRetentionMs - 24 * 60 * 60 * 1000);
}

/**
 * Brings the index of `step` up to date with storage and returns it. With an index present it
 * lists only what changed: change records written since (deleted and rewritten sidecars), and
 * sidecar keys stamped after what it has seen (less the clock-skew window). Without one, with
 * a damaged head, or with `full`, it rebuilds from every sidecar.
 */
export async function refreshStepIndex(
  context: CatalogIndexContext,
  step: string,
  options: { readonly full?: boolean } = {},
): Promise<StepIndex> {
  const stored = await readHead(context, step);
  if (stored === undefined || options.full === true || outlivedChanges(stored.head)) {
    return buildStepIndex(context, step, stored);
  }
  try {
    return await updateStepIndex(context, stored);
  } catch (error) {
    if (!(error instanceof UnusableSegment)) throw error;
    context.logger.warn(
      { step, problem: error.problem },
      'catalog index segment unusable; rebuilding the step index',
    );
    return buildStepIndex(context, step, stored);
  }
}

/** Applies what changed since `stored` was written: see {@link refreshStepIndex}. */
async function updateStepIndex(
  context: CatalogIndexContext,
  stored: StoredHead,
): Promise<StepIndex> {
  const { head } = stored;
  const { step } = head;
  const changesPrefix = catalogChangesPrefix(step);
  const settled = new Set(head.settledChanges);
  const changes = (
    await readChanges(
      context,
      step,
      windowStart(changesPrefix, head.changesThrough) ?? head.changesThrough,
    )
  ).filter((change) => !settled.has(change.key));
  const stepPrefix = stepCheckpointsPrefix(step);
  const recentStart = windowStart(stepPrefix, head.listedThrough);
  const recent = await listCheckpointFolders(context, step, recentStart);
  let listedThrough = head.listedThrough;
  const newestListed = recent.at(-1);
  if (newestListed !== undefined) {
    const key = checkpointKeys(newestListed).sidecar;
    if (listedThrough === undefined || key > listedThrough) listedThrough = key;
  }
  const segments = SegmentMemory.for(context);
  // Which recent ids the index holds: they are in the segments reaching into the window.
  const windowFirstId =
    recentStart === undefined ? '' : `${step}/${recentStart.slice(stepPrefix.length)}`;
  const known = new Set<string>();
  for (const reference of head.segments) {
    if (reference.last < windowFirstId) continue;
    const entries = await readSegment(context, reference);
    segments.remember(reference.key, entries);
    for (const entry of entries) known.add(entry.id);
  }
  const toRead = new Set<string>();
  for (const change of changes)
    for (const id of [...change.removed, ...change.rewritten, ...change.added]) toRead.add(id);
  for (const id of recent) if (!known.has(id)) toRead.add(id);
  const newestChange = changes.at(-1)?.key;
  const changesThrough =
    newestChange !== undefined && (head.changesThrough ?? '') < newestChange
      ? newestChange
      : head.changesThrough;
  if (toRead.size === 0) {
    if (changesThrough === head.changesThrough && listedThrough === head.listedThrough) {
      return { head, segments };
    }
  }
  const ids = [...toRead].sort();
  const readings = await readSidecars(context, ids);
  const updates = new Map<string, IndexedSidecar | undefined>();
  for (const [position, id] of ids.entries()) updates.set(id, readings[position]);
  // Settled records stay listed while in the window, so keep their keys until they leave it.
  const windowFirstChange = windowStart(changesPrefix, changesThrough) ?? '';
  const settledChanges = [
    ...head.settledChanges.filter((key) => key > windowFirstChange),
    ...changes.filter((change) => isSettled(change, updates)).map((change) => change.key),
  ];
  return applyUpdates(context, stored, updates, segments, {
    ...(listedThrough === undefined ? {} : { listedThrough }),
    ...(changesThrough === undefined ? {} : { changesThrough }),
    settledChanges,
  });
}

/** Rewrites the segments the updates touch and writes the new head. */
async function applyUpdates(
  context: CatalogIndexContext,
  stored: StoredHead,
  updates: Map<string, IndexedSidecar | undefined>,
  segments: SegmentMemory,
  watermarks: {
    readonly listedThrough?: string;
    readonly changesThrough?: string;
    readonly settledChanges: readonly string[];
  },
): Promise<StepIndex> {
  const { head } = stored;
  const references = head.segments;
  const byTarget = new Map<number, string[]>();
  for (const id of updates.keys()) {
    const target = references.length === 0 ? -1 : segmentFor(references, id);
    byTarget.set(target, [...(byTarget.get(target) ?? []), id]);
  }
  const next: SegmentReference[] = [];
  const replaced: SegmentReference[] = [];
  const rewrite = async (current: readonly IndexedSidecar[], ids: readonly string[]) => {
    const merged = new Map(current.map((entry) => [entry.id, entry] as const));
    for (const id of ids) {
      const update = updates.get(id);
      if (update === undefined) merged.delete(id);
      else merged.set(id, update);
    }
    const sorted = [...merged.values()].sort((left, right) =>
      left.id < right.id ? -1 : left.id > right.id ? 1 : 0,
    );
    for (const part of chunk(sorted, context.segmentSize))
      next.push(await writeSegment(context, head.step, part, segments));
  };
  if (references.length === 0) await rewrite([], byTarget.get(-1) ?? []);
  for (let index = 0; index < references.length; index++) {
    const reference = references[index] as SegmentReference;
    const ids = byTarget.get(index);
    if (ids === undefined) {
      next.push(reference);
      continue;
    }
    const current = segments.get(reference.key) ?? (await readSegment(context, reference));
    replaced.push(reference);
    await rewrite(current, ids);
  }
  const unchanged =
    next.length === references.length &&
    next.every((reference, index) => reference.key === references[index]?.key) &&
    watermarks.listedThrough === head.listedThrough &&
    watermarks.changesThrough === head.changesThrough &&
    watermarks.settledChanges.join('\n') === head.settledChanges.join('\n');
  // Segments are content-addressed: re-reading a save still under way changes nothing, and
  // rewriting the head for it would cost a write on every listing.
  if (unchanged) return { head, segments };
  const fresh: StepHead = {
    format: catalogIndexFormat,
    step: head.step,
    segments: next,
    ...watermarks,
    settledChanges: [...watermarks.settledChanges],
    writtenAt: new Date().toISOString(),
  };
  const written = await writeHead(context, fresh, stored);
  if (written.etag !== undefined) {
    const kept = new Set(next.map((reference) => reference.key));
    await deleteSegments(
      context,
      replaced.filter((reference) => !kept.has(reference.key)),
    );
  }
  return { head: fresh, segments };
}

/** Segments read ahead of the one being walked. */
const segmentsReadAhead = 3;

/**
 * The sidecars of a step's index in id order (or newest first with `reverse`), a segment at a
 * time. A segment that vanished (another process replaced it) or is damaged makes the index
 * rebuild, and the walk goes on after the last id it yielded: nothing is repeated or skipped.
 */
export async function* walkStepIndex(
  context: CatalogIndexContext,
  index: StepIndex,
  options: { readonly reverse?: boolean } = {},
): AsyncGenerator<IndexedSidecar> {
  const reverse = options.reverse === true;
  let current = index;
  let last: string | undefined;
  for (let rebuilds = 0; ; rebuilds++) {
    try {
      const all = reverse ? [...current.head.segments].reverse() : current.head.segments;
      const references = all.filter(
        (reference) =>
          last === undefined || (reverse ? reference.first < last : reference.last > last),
      );
      // The next few segments are read while this one is walked: on S3 each is a round trip.
      const reads = new Map<number, Promise<IndexedSidecar[]>>();
      const readAhead = (position: number) => {
        const reference = references[position];
        if (reference === undefined || reads.has(position)) return;
        const kept = current.segments.get(reference.key);
        const read = kept === undefined ? readSegment(context, reference) : Promise.resolve(kept);
        read.catch(() => {});
        reads.set(position, read);
      };
      for (let position = 0; position < references.length; position++) {
        for (let ahead = position; ahead < position + segmentsReadAhead; ahead++) readAhead(ahead);
        const entries = await (reads.get(position) as Promise<IndexedSidecar[]>);
        reads.delete(position);
        const ordered = reverse ? [...entries].reverse() : entries;
        for (const entry of ordered) {
          if (last !== undefined && (reverse ? entry.id >= last : entry.id <= last)) continue;
          last = entry.id;
          yield entry;
        }
      }
      return;
    } catch (error) {
      if (!(error instanceof UnusableSegment) || rebuilds >= 2) throw error;
      context.logger.warn(
        { step: current.head.step, problem: error.problem },
        'catalog index segment unusable; rebuilding the step index',
      );
      current = await buildStepIndex(
        context,
        current.head.step,
        await readHead(context, current.head.step),
      );
    }
  }
}
