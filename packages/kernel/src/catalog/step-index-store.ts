import { readSidecarFrom } from '../checkpoints/read-sidecar.js';
import { isCairnError } from '../errors/cairn-error.js';
import type { Logger } from '../logging/logger.js';
import { readAll } from '../storage/body.js';
import type { Storage } from '../storage/storage.js';
import {
  decodeSegment,
  encodeSegment,
  type IndexedSidecar,
  type SegmentReference,
  type StepHead,
  stepHeadSchema,
  stepIndexKeys,
} from './catalog-index-format.js';

/** What the parts of the catalog's index share. */
export interface CatalogIndexContext {
  /** Where the checkpoints and the index live. */
  readonly storage: Storage;
  /** Where problems with the index are reported (it rebuilds itself; nothing is thrown). */
  readonly logger: Logger;
  /** Sidecars per segment. */
  readonly segmentSize: number;
  /** Sidecars read at once when (re)building. */
  readonly readConcurrency: number;
  /** False on read-only storage: the index is built in memory each time and never written. */
  readonly writeIndex: boolean;
  /** Cancels listings and reads. */
  readonly signal?: AbortSignal;
}

/**
 * Segments a refresh wrote or read, kept so the walk that follows need not read them again,
 * up to a number of sidecars: a big step is read back from storage rather than held whole.
 * Without a stored index (`writeIndex: false`) there is nowhere to read back from, so it holds
 * everything.
 */
export class SegmentMemory {
  private held = 0;
  private readonly segments = new Map<string, IndexedSidecar[]>();

  constructor(private readonly limit: number) {}

  /** The memory a refresh in `context` uses. */
  static for(context: CatalogIndexContext): SegmentMemory {
    return new SegmentMemory(context.writeIndex ? 20_000 : Number.POSITIVE_INFINITY);
  }

  /** Keeps `entries` under `key` if there is room. */
  remember(key: string, entries: IndexedSidecar[]): void {
    if (this.segments.has(key) || this.held + entries.length > this.limit) return;
    this.segments.set(key, entries);
    this.held += entries.length;
  }

  /** The entries kept under `key`, if any. */
  get(key: string): IndexedSidecar[] | undefined {
    return this.segments.get(key);
  }
}

/** A head as read, with its etag for compare-and-swap. */
export interface StoredHead {
  /** The head. */
  readonly head: StepHead;
  /** Its etag; undefined when it was never written (a head built in memory). */
  readonly etag?: string;
}

/** Reads a whole small object, or undefined when it is absent. */
async function readObject(
  context: CatalogIndexContext,
  key: string,
): Promise<{ bytes: Buffer; etag: string } | undefined> {
  try {
    const { info, body } = await context.storage.get(
      key,
      context.signal === undefined ? {} : { signal: context.signal },
    );
    return { bytes: await readAll(body), etag: info.etag };
  } catch (error) {
    if (isCairnError(error, 'NOT_FOUND')) return undefined;
    throw error;
  }
}

/**
 * The stored head of a step's index; undefined when there is none or it cannot be used (the
 * latter logged: the caller rebuilds it).
 */
export async function readHead(
  context: CatalogIndexContext,
  step: string,
): Promise<StoredHead | undefined> {
  const key = stepIndexKeys(step).head;
  const read = await readObject(context, key);
  if (read === undefined) return undefined;
  let value: unknown;
  try {
    value = JSON.parse(read.bytes.toString('utf8'));
  } catch {
    value = undefined;
  }
  const parsed = stepHeadSchema.safeParse(value);
  if (!parsed.success || parsed.data.step !== step) {
    context.logger.warn({ step, key }, 'catalog index head is damaged; rebuilding it');
    return undefined;
  }
  return { head: parsed.data, etag: read.etag };
}

/** A segment that could not be read as its head describes it. */
export class UnusableSegment extends Error {
  constructor(
    readonly reference: SegmentReference,
    readonly problem: string,
  ) {
    super(problem);
  }
}

/**
 * The entries of one segment.
 * @throws UnusableSegment when it is gone (replaced by another refresh) or damaged.
 */
export async function readSegment(
  context: CatalogIndexContext,
  reference: SegmentReference,
): Promise<IndexedSidecar[]> {
  const read = await readObject(context, reference.key);
  if (read === undefined)
    throw new UnusableSegment(reference, `segment "${reference.key}" is gone`);
  const decoded = decodeSegment(read.bytes, reference);
  if ('problem' in decoded) throw new UnusableSegment(reference, decoded.problem);
  return decoded.entries;
}

/** Writes a segment (content-addressed, so writing the same bytes twice is harmless). */
export async function writeSegment(
  context: CatalogIndexContext,
  step: string,
  entries: readonly IndexedSidecar[],
  written: SegmentMemory,
): Promise<SegmentReference> {
  const { bytes, reference } = encodeSegment(step, entries);
  // Kept in memory (room permitting), so the walk after this refresh need not read it back.
  written.remember(reference.key, [...entries]);
  if (context.writeIndex) {
    await context.storage.put(reference.key, bytes, {
      contentType: 'application/json',
      ...(context.signal === undefined ? {} : { signal: context.signal }),
    });
  }
  return reference;
}

/**
 * Replaces the stored head with `head`: with compare-and-swap against the head this refresh
 * started from, so two refreshes racing never lose each other's segments silently (the loser
 * keeps its head in memory; the next refresh starts from the winner's). Best effort: an index
 * that cannot be written is rebuilt next time, and the listing still answers.
 */
export async function writeHead(
  context: CatalogIndexContext,
  head: StepHead,
  previous: StoredHead | undefined,
): Promise<StoredHead> {
  if (!context.writeIndex) return { head };
  const key = stepIndexKeys(head.step).head;
  const conditional = context.storage.capabilities.conditionalWrites;
  try {
    const info = await context.storage.put(key, JSON.stringify(head), {
      contentType: 'application/json',
      ...(conditional
        ? previous?.etag === undefined
          ? { ifNoneMatch: '*' as const }
          : { ifMatch: previous.etag }
        : {}),
      ...(context.signal === undefined ? {} : { signal: context.signal }),
    });
    return { head, etag: info.etag };
  } catch (error) {
    if (isCairnError(error, 'ABORTED')) throw error;
    context.logger.warn(
      { step: head.step, code: isCairnError(error) ? error.code : undefined },
      isCairnError(error, 'PRECONDITION_FAILED')
        ? 'another process refreshed the catalog index at the same time; keeping ours in memory'
        : 'could not write the catalog index; it will be rebuilt next time',
    );
    return { head };
  }
}

/** Deletes segments no head lists any more. Best effort: a reader of an old head re-reads it. */
export async function deleteSegments(
  context: CatalogIndexContext,
  references: readonly SegmentReference[],
): Promise<void> {
  if (!context.writeIndex) return;
  for (const reference of references) {
    await context.storage.delete(reference.key).catch(() => {
      // An orphan segment costs some bytes; the next rebuild of the step lists them anyway.
    });
  }
}

/**
 * Reads the sidecars of `ids` (at most `readConcurrency` at once), in the order given; a
 * missing sidecar (never committed, or deleted) is `undefined`.
 */
export async function readSidecars(
  context: CatalogIndexContext,
  ids: readonly string[],
): Promise<Array<IndexedSidecar | undefined>> {
  const results: Array<IndexedSidecar | undefined> = new Array(ids.length);
  let next = 0;
  const lane = async (): Promise<void> => {
    while (next < ids.length) {
      const position = next++;
      const id = ids[position] as string;
      const reading = await readSidecarWithEtag(context, id);
      results[position] = reading;
    }
  };
  await Promise.all(
    Array.from({ length: Math.min(context.readConcurrency, ids.length) }, () => lane()),
  );
  return results;
}

async function readSidecarWithEtag(
  context: CatalogIndexContext,
  id: string,
): Promise<IndexedSidecar | undefined> {
  const reading = await readSidecarFrom(context.storage, id, context.signal);
  if (reading.status === 'missing') return undefined;
  if (reading.status === 'found') return { id, etag: reading.etag, record: reading.record };
  return { id, etag: '', damaged: reading.reason };
}
