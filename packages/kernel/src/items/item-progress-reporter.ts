import type { JournalEvent, JournalEventOf } from '../journal/journal-events.js';
import type { Clock } from '../retry/clock.js';
import type { CoverageCounter } from './parameter-grid.js';

/** What a {@link ProgressReporter} needs. */
export interface ProgressReporterOptions {
  readonly step: string;
  /** Items in the map. */
  readonly total: number;
  readonly clock: Clock;
  /** When the map began, on `clock`. */
  readonly startedAt: number;
  /** Least time between two throttled reports. */
  readonly intervalMs: number;
  /** Counts per parameter value, when the map sweeps a grid. */
  readonly coverage: CoverageCounter | undefined;
  readonly emit: (event: JournalEvent) => void;
}

/** Counts finished items and reports progress (and coverage) as journal events. */
export interface ProgressReporter {
  /** Counts an item an earlier call finished (before the first report). */
  resumed(status: 'done' | 'failed'): void;
  /** Counts an item this call finished. */
  finished(status: 'done' | 'failed'): void;
  /** Reports when `intervalMs` has passed since the last report. */
  maybeReport(): void;
  /** Reports now. */
  report(): void;
  /** The counts so far. */
  readonly counts: { readonly done: number; readonly failed: number; readonly skipped: number };
}

/**
 * The progress of one map. The rate counts only items this call finished, over this call's
 * time, so a resume that skips 1,900 done items does not claim a burst of speed; the ETA
 * extrapolates that rate to the items left.
 */
export function createProgressReporter(options: ProgressReporterOptions): ProgressReporter {
  const { clock, startedAt } = options;
  let done = 0;
  let failed = 0;
  let skipped = 0;
  let finishedHere = 0;
  let lastReportAt: number | undefined;

  const progressEvent = (): JournalEventOf<'step-progress'> => {
    const now = clock.now();
    const elapsedMs = Math.max(0, now - startedAt);
    const itemsPerSecond = elapsedMs > 0 ? (finishedHere * 1000) / elapsedMs : 0;
    const remaining = Math.max(0, options.total - done - failed);
    let etaMs: number | undefined;
    if (remaining === 0) etaMs = 0;
    else if (itemsPerSecond > 0) etaMs = Math.round((remaining / itemsPerSecond) * 1000);
    return {
      type: 'step-progress',
      step: options.step,
      done,
      failed,
      total: options.total,
      skipped,
      itemsPerSecond,
      elapsedMs,
      ...(etaMs === undefined ? {} : { etaMs }),
    };
  };

  const report = (): void => {
    lastReportAt = clock.now();
    options.emit(progressEvent());
    if (options.coverage !== undefined) {
      options.emit({
        type: 'sweep-coverage',
        step: options.step,
        coverage: options.coverage.snapshot(),
      });
    }
  };

  return {
    resumed(status) {
      skipped += 1;
      if (status === 'done') done += 1;
      else failed += 1;
    },
    finished(status) {
      finishedHere += 1;
      if (status === 'done') done += 1;
      else failed += 1;
    },
    maybeReport() {
      if (lastReportAt === undefined || clock.now() - lastReportAt >= options.intervalMs) report();
    },
    report,
    get counts() {
      return { done, failed, skipped };
    },
  };
}
