import type { JournalEntry } from '@cairn/kernel';

/** Options for {@link createProgressPrinter}. */
export interface ProgressPrinterOptions {
  /** A progress line every this many finished items of a map (and one when it is done). */
  readonly itemsPerLine?: number;
}

interface MapProgress {
  readonly total: number;
  finished: number;
  failed: number;
}

function seconds(milliseconds: number): string {
  return `${(milliseconds / 1000).toFixed(1)} s`;
}

/**
 * Turns a run's journal entries into plain progress lines for a terminal or a CI log: steps
 * starting and completing, each map's size and what an earlier attempt had already stored,
 * a line every few items, every retry and every failed item. Steps skipped on resume and the
 * run's end are left to the engine's own `print` lines, which say the same.
 *
 * @returns the `onEntry` callback of a pipeline run.
 */
export function createProgressPrinter(
  print: (line: string) => void,
  options: ProgressPrinterOptions = {},
): (entry: JournalEntry) => void {
  const itemsPerLine = options.itemsPerLine ?? 10;
  const maps = new Map<string, MapProgress>();

  const itemFinished = (step: string, failed: boolean) => {
    const progress = maps.get(step);
    if (progress === undefined) return;
    progress.finished += 1;
    if (failed) progress.failed += 1;
    if (progress.finished % itemsPerLine !== 0 && progress.finished !== progress.total) return;
    const failures = progress.failed > 0 ? `, ${progress.failed} failed` : '';
    print(`  ${step}: ${progress.finished}/${progress.total} items${failures}`);
  };

  return ({ event }) => {
    switch (event.type) {
      case 'run-started':
        // Interrupted, failed, or completed with failed items to retry: the engine's own line
        // says which; this one says that earlier work is being reused.
        if (event.attempt > 1) print(`Continuing the run (attempt ${event.attempt}).`);
        break;
      case 'step-started':
        print(`▶ ${event.step}`);
        break;
      case 'step-progress': {
        // A map reports its size first, counting what earlier attempts stored; later reports
        // are throttled by time, and the item events below are counted instead.
        if (maps.has(event.step)) break;
        maps.set(event.step, {
          total: event.total,
          finished: event.done + event.failed,
          failed: event.failed,
        });
        const resumed = event.skipped ?? 0;
        print(
          resumed > 0
            ? `  ${event.step}: ${event.total} items, ${resumed} already stored by an earlier attempt; doing the other ${event.total - resumed}`
            : `  ${event.step}: ${event.total} items`,
        );
        break;
      }
      case 'item-completed':
        itemFinished(event.step, false);
        break;
      case 'item-failed':
        print(
          `  ✗ ${event.step} item ${event.item} failed after ${event.attempt} attempt${event.attempt === 1 ? '' : 's'} and was recorded: ${event.error.message}`,
        );
        itemFinished(event.step, true);
        break;
      case 'retry-scheduled':
        print(
          `  ⟳ ${event.step ?? 'a call'}${event.item === undefined ? '' : ` item ${event.item}`}: attempt ${event.attempt} failed (${event.error.message}); retrying in ${Math.round(event.delayMs)} ms`,
        );
        break;
      case 'step-completed': {
        const items =
          event.items === undefined
            ? ''
            : `, ${event.items.done}/${event.items.total} items done${event.items.failed > 0 ? `, ${event.items.failed} failed` : ''}`;
        print(`✔ ${event.step} (${seconds(event.durationMs)}${items})`);
        break;
      }
      default:
        break;
    }
  };
}
