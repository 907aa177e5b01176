import { retry } from '../retry/retry.js';
import { scrubErrorText } from '../secrets/scrub-error-text.js';
import { runBounded } from './bounded-concurrency.js';
import { digestPrefix } from './item-digest.js';
import type { PlannedItem } from './item-plan.js';
import { isUnusableRecord, readItemRecord } from './item-record.js';
import type { ItemProgress, ItemProgressEntry } from './load-item-progress.js';
import type { ResolvedMapItemsOptions } from './map-items-options.js';
import type { ItemOutcome } from './map-items-result.js';
import { storageRetryPolicy } from './storage-retry.js';

/** Which items an earlier call already finished, and which this call must run. */
export interface ReusePlan<Item, Result> {
  /** Outcomes read back from earlier records, by index. */
  readonly reused: ReadonlyMap<number, ItemOutcome<Result>>;
  /** The items to run, in input order. */
  readonly toRun: readonly PlannedItem<Item>[];
  /** Items run again because their input changed since their record was written. */
  readonly changed: number;
}

/**
 * Splits the items into those an earlier call finished (done; failed too when `retryFailed`
 * is false) and those to run, reading back the finished ones' records for their values and
 * errors. An item whose input changed, or whose record turns out unreadable or not its own,
 * is run again: a result is never reused unless its record verifies.
 */
export async function reuseFinishedItems<Item, Result>(
  options: ResolvedMapItemsOptions<Item, Result>,
  plan: readonly PlannedItem<Item>[],
  progress: ItemProgress,
): Promise<ReusePlan<Item, Result>> {
  const { logger } = options;
  const toRun: PlannedItem<Item>[] = [];
  const candidates: { planned: PlannedItem<Item>; entry: ItemProgressEntry }[] = [];
  const changedIndices: number[] = [];
  for (const planned of plan) {
    const entry = progress.items.get(planned.identity);
    if (entry === undefined) {
      toRun.push(planned);
    } else if (entry.digestPrefix !== digestPrefix(planned.inputDigest)) {
      changedIndices.push(planned.index);
      toRun.push(planned);
    } else if (entry.status === 'failed' && options.retryFailed) {
      toRun.push(planned);
    } else {
      candidates.push({ planned, entry });
    }
  }
  if (changedIndices.length > 0) {
    logger.warn(
      { step: options.step, changed: changedIndices.length, first: changedIndices.slice(0, 10) },
      `${changedIndices.length} item(s) changed since an earlier call finished them; running them again.`,
    );
  }

  const policy = storageRetryPolicy(options.clock, options.signal);
  const reused = new Map<number, ItemOutcome<Result>>();
  await runBounded(candidates.length, options.readConcurrency, async (position) => {
    const { planned, entry } = candidates[position] as (typeof candidates)[number];
    try {
      const record = await retry(
        ({ signal }) =>
          readItemRecord(options.storage, options.run, options.step, entry.sequence, { signal }),
        policy,
      );
      if (record.inputDigest !== planned.inputDigest || record.status !== entry.status) {
        logger.warn(
          { step: options.step, index: planned.index, sequence: entry.sequence },
          'An item record does not match the summary that points to it; running the item again.',
        );
        toRun.push(planned);
        return;
      }
      const common = {
        index: planned.index,
        ...(planned.key === undefined ? {} : { key: planned.key }),
        ...(planned.parameters === undefined ? {} : { parameters: planned.parameters }),
        resumed: true,
      };
      const error = record.error;
      reused.set(
        planned.index,
        record.status === 'done' || error === undefined
          ? { ...common, status: 'done', value: record.value as Result }
          : {
              ...common,
              status: 'failed',
              error: {
                name: error.name,
                message: error.message,
                ...(error.code === undefined ? {} : { code: error.code }),
              },
            },
      );
    } catch (error) {
      if (!isUnusableRecord(error)) throw error;
      logger.warn(
        {
          step: options.step,
          index: planned.index,
          error: scrubErrorText(error instanceof Error ? error.message : String(error)),
        },
        'The record of a finished item is unusable; running the item again.',
      );
      toRun.push(planned);
    }
  });
  toRun.sort((left, right) => left.index - right.index);
  return { reused, toRun, changed: changedIndices.length };
}
