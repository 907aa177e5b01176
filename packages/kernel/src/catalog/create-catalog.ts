import { abortedError } from '../errors/aborted-error.js';
import { CairnError } from '../errors/cairn-error.js';
import { layout } from '../naming/layout.js';
import { namePattern, validateName } from '../naming/names.js';
import type { CatalogEntry } from './catalog-entry.js';
import type { IndexedSidecar } from './catalog-index-format.js';
import { type CatalogOptions, catalogBackend, resolveCatalogOptions } from './catalog-options.js';
import {
  type CatalogQuery,
  compareBy,
  compareByTime,
  matchesQuery,
  type ResolvedCatalogQuery,
  resolveCatalogQuery,
} from './catalog-query.js';
import { firstInOrder, mapOrdered, mergeOrdered } from './catalog-streams.js';
import { answersItself, resolveEntry, sidecarEntry } from './resolve-entry.js';
import { refreshStepIndex, walkStepIndex } from './step-index.js';
import type { CatalogIndexContext } from './step-index-store.js';

/** What {@link Catalog.refresh} did, step by step. */
export interface CatalogRefreshReport {
  /** Each step refreshed, with the checkpoints and segments its index now holds. */
  readonly steps: readonly {
    readonly step: string;
    readonly checkpoints: number;
    readonly segments: number;
  }[];
}

/** Options of {@link Catalog.refresh}. */
export interface CatalogRefreshOptions {
  /** Only this step; default every step. */
  readonly step?: string;
  /**
   * Rebuild from every sidecar instead of reading only what changed: catches sidecars deleted
   * or edited by hand (outside Cairn), which leave no change record.
   */
  readonly full?: boolean;
  /** Cancels the refresh. */
  readonly signal?: AbortSignal;
}

/** Checkpoints with their metadata, listed from sidecars (never payloads) through an index. */
export interface Catalog {
  /**
   * The checkpoints matching `query`, streamed: oldest first across steps unless `sort` or
   * `best` orders them (those hold at most twice `limit` / `k` entries; `sort` without `limit`
   * holds every match). Each entry says which metadata source answered. The index of each step
   * is brought up to date first, so a deleted checkpoint is never listed (unless it was
   * deleted by hand: see {@link CatalogRefreshOptions.full}).
   * @throws CairnError `INVALID_OPTIONS` for a bad query.
   */
  checkpoints(query?: CatalogQuery): AsyncIterable<CatalogEntry>;
  /** The steps that have checkpoint folders, in name order. */
  steps(options?: { readonly signal?: AbortSignal }): Promise<string[]>;
  /** Brings the index up to date (or rebuilds it with `full`) without listing anything. */
  refresh(options?: CatalogRefreshOptions): Promise<CatalogRefreshReport>;
  /** Closes the metadata sources the catalog was given. */
  close(): Promise<void>;
}

/**
 * Creates a catalog over a storage. Metadata comes from each checkpoint's sidecar; when the
 * sidecar is damaged or holds no metadata, metrics or tags, from `sources` in order.
 *
 * @example
 * const catalog = createCatalog({ storage });
 * for await (const entry of catalog.checkpoints({ best: { metric: 'hmean', mode: 'max', k: 3 } }))
 *   console.log(entry.id, entry.metrics.hmean, entry.source);
 * @throws CairnError `INVALID_OPTIONS` for bad options.
 */
export function createCatalog(options: CatalogOptions): Catalog {
  const resolved = resolveCatalogOptions(options);
  const { storage, sources, logger } = resolved;
  let closed = false;

  const indexContext = (signal: AbortSignal | undefined): CatalogIndexContext => ({
    storage,
    logger,
    segmentSize: resolved.segmentSize,
    readConcurrency: resolved.readConcurrency,
    writeIndex: resolved.writeIndex,
    ...(signal === undefined ? {} : { signal }),
  });

  const refuseWhenClosed = () => {
    if (closed) {
      throw new CairnError({
        code: 'INVALID_OPTIONS',
        backend: catalogBackend,
        message: 'The catalog is closed; create a new one with createCatalog.',
      });
    }
  };

  async function steps(signal?: AbortSignal): Promise<string[]> {
    const names: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await storage.listPage({
        prefix: layout.checkpointsRoot,
        delimiter: '/',
        // A step folder left empty lists nothing; checking each one would read every step.
        allowEmptyFolders: true,
        ...(cursor === undefined ? {} : { cursor }),
        ...(signal === undefined ? {} : { signal }),
      });
      for (const folder of page.prefixes) {
        const name = folder.slice(layout.checkpointsRoot.length, -1);
        if (namePattern.test(name)) names.push(name);
      }
      cursor = page.cursor;
    } while (cursor !== undefined);
    return names;
  }

  async function* stepEntries(
    step: string,
    query: ResolvedCatalogQuery,
    reverse: boolean,
  ): AsyncGenerator<CatalogEntry> {
    const context = indexContext(query.signal);
    const index = await refreshStepIndex(context, step);
    const resolveContext = {
      storage,
      sources,
      logger,
      ...(query.signal === undefined ? {} : { signal: query.signal }),
    };
    const walk = walkStepIndex(context, index, { reverse });
    const entries = mapOrdered(
      walk,
      resolved.lookupConcurrency,
      (indexed: IndexedSidecar) => resolveEntry(resolveContext, indexed),
      (indexed) =>
        answersItself(indexed, sources) && 'record' in indexed
          ? sidecarEntry(indexed.record)
          : undefined,
    );
    for await (const entry of entries) {
      // Entries of a fresh index come from memory, where nothing else would notice a cancel.
      if (query.signal?.aborted) {
        throw abortedError(catalogBackend, query.signal.reason, 'Listing the catalog', {
          when: `at checkpoint "${entry.id}"`,
        });
      }
      if (matchesQuery(entry, query)) yield entry;
    }
  }

  async function* checkpoints(query: CatalogQuery = {}): AsyncGenerator<CatalogEntry> {
    refuseWhenClosed();
    const resolvedQuery = resolveCatalogQuery(query);
    const chosen =
      resolvedQuery.step === undefined
        ? await steps(resolvedQuery.signal)
        : [resolvedQuery.step].flat();
    let stream: AsyncIterable<CatalogEntry>;
    if (resolvedQuery.latestPerStep === true) {
      const latest: CatalogEntry[] = [];
      for (const step of chosen) {
        for await (const entry of stepEntries(step, resolvedQuery, true)) {
          latest.push(entry);
          break;
        }
      }
      stream = (async function* () {
        yield* latest.sort(compareByTime);
      })();
    } else {
      const perStep = chosen.map((step) => stepEntries(step, resolvedQuery, false));
      stream =
        perStep.length === 1
          ? (perStep[0] as AsyncIterable<CatalogEntry>)
          : mergeOrdered(perStep, compareByTime);
    }
    const { best, sort, limit } = resolvedQuery;
    if (best !== undefined) {
      const order = best.mode === 'min' ? 'asc' : 'desc';
      yield* await firstInOrder(stream, compareBy(`metrics.${best.metric}`, order), best.k);
      return;
    }
    if (sort !== undefined) {
      yield* await firstInOrder(stream, compareBy(sort.by, sort.order), limit);
      return;
    }
    let count = 0;
    for await (const entry of stream) {
      if (limit !== undefined && count >= limit) return;
      count += 1;
      yield entry;
    }
  }

  return {
    checkpoints,
    steps: async (stepOptions = {}) => {
      refuseWhenClosed();
      return steps(stepOptions.signal);
    },
    async refresh(refreshOptions = {}) {
      refuseWhenClosed();
      if (refreshOptions.step !== undefined) validateName('step', refreshOptions.step);
      const chosen =
        refreshOptions.step === undefined
          ? await steps(refreshOptions.signal)
          : [refreshOptions.step];
      const report: CatalogRefreshReport['steps'][number][] = [];
      for (const step of chosen) {
        const index = await refreshStepIndex(indexContext(refreshOptions.signal), step, {
          full: refreshOptions.full === true,
        });
        report.push({
          step,
          checkpoints: index.head.segments.reduce((total, segment) => total + segment.count, 0),
          segments: index.head.segments.length,
        });
      }
      return { steps: report };
    },
    async close() {
      if (closed) return;
      closed = true;
      for (const source of sources) await source.close?.();
    },
  };
}
