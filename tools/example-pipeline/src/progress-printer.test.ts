import type { JournalEntry, JournalEvent } from '@cairn/kernel';
import { describe, expect, it } from 'vitest';
import { createProgressPrinter } from './progress-printer.js';

function feed(events: readonly JournalEvent[], itemsPerLine?: number): string[] {
  const lines: string[] = [];
  const onEntry = createProgressPrinter(
    (line) => lines.push(line),
    itemsPerLine === undefined ? {} : { itemsPerLine },
  );
  events.forEach((event, index) => {
    const entry: JournalEntry = {
      v: 1,
      seq: index + 1,
      time: new Date(0).toISOString(),
      prev: '0'.repeat(64),
      event,
    };
    onEntry(entry);
  });
  return lines;
}

const progress = (done: number, failed: number, total: number, skipped?: number) =>
  ({
    type: 'step-progress',
    step: 'generate',
    done,
    failed,
    total,
    itemsPerSecond: 0,
    elapsedMs: 0,
    ...(skipped === undefined ? {} : { skipped }),
  }) as const;
const completed = (item: number) =>
  ({ type: 'item-completed', step: 'generate', item, attempt: 1, durationMs: 5 }) as const;

describe('createProgressPrinter', () => {
  it('prints steps, the map size, a line every few items, retries and failures', () => {
    const lines = feed(
      [
        { type: 'run-started', pipeline: 'research', attempt: 1, host: 'h', pid: 1 },
        { type: 'step-started', step: 'generate', index: 0 },
        progress(0, 0, 5),
        completed(0),
        {
          type: 'retry-scheduled',
          step: 'generate',
          item: 1,
          attempt: 1,
          delayMs: 12.4,
          error: { name: 'CairnError', message: '503' },
        },
        completed(1),
        progress(2, 0, 5),
        {
          type: 'item-failed',
          step: 'generate',
          item: 2,
          attempt: 3,
          error: { name: 'CairnError', message: 'refused' },
        },
        completed(3),
        completed(4),
        progress(4, 1, 5),
        {
          type: 'step-completed',
          step: 'generate',
          durationMs: 1234,
          items: { done: 4, failed: 1, total: 5 },
        },
        { type: 'step-started', step: 'report', index: 1 },
        { type: 'step-completed', step: 'report', durationMs: 50 },
        { type: 'run-finished', state: 'COMPLETED', durationMs: 2000 },
      ],
      2,
    );
    expect(lines).toEqual([
      '▶ generate',
      '  generate: 5 items',
      '  ⟳ generate item 1: attempt 1 failed (503); retrying in 12 ms',
      '  generate: 2/5 items',
      '  ✗ generate item 2 failed after 3 attempts and was recorded: refused',
      '  generate: 4/5 items, 1 failed',
      '  generate: 5/5 items, 1 failed',
      '✔ generate (1.2 s, 4/5 items done, 1 failed)',
      '▶ report',
      '✔ report (0.1 s)',
    ]);
  });

  it('says how many items an earlier attempt stored and counts on from there', () => {
    const lines = feed(
      [
        { type: 'run-started', pipeline: 'research', attempt: 2, host: 'h', pid: 1 },
        { type: 'step-started', step: 'generate', index: 0 },
        progress(18, 0, 21, 18),
        completed(18),
        completed(19),
        completed(20),
      ],
      10,
    );
    expect(lines).toEqual([
      'Continuing the run (attempt 2).',
      '▶ generate',
      '  generate: 21 items, 18 already stored by an earlier attempt; doing the other 3',
      '  generate: 20/21 items',
      '  generate: 21/21 items',
    ]);
  });
});
