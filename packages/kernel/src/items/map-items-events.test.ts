import { describe, expect, it } from 'vitest';
import { CairnError } from '../errors/cairn-error.js';
import { type JournalEvent, journalEventSchema } from '../journal/journal-events.js';
import type { AttemptEvent } from '../retry/attempt.js';
import { createManualClock } from '../retry/manual-clock.js';
import { readAll } from '../storage/body.js';
import { createMemoryStorage } from '../storage/memory-storage.js';
import {
  eventsOf,
  itemsTestRun,
  recordingLogger,
  settle,
  storedItemRecords,
} from '../testing/items-support.js';
import { mapItems } from './map-items.js';

const run = itemsTestRun;

/** Drives a map whose workers sleep on `clock`: advances it whenever a worker is waiting. */
async function drive<T>(
  clock: ReturnType<typeof createManualClock>,
  promise: Promise<T>,
  stepMs: number,
): Promise<T> {
  let settled = false;
  const watched = promise.finally(() => {
    settled = true;
  });
  while (!settled) {
    if (clock.pendingSleeps > 0) await clock.advance(stepMs);
    else await settle();
  }
  return watched;
}

describe('mapItems events', () => {
  it('reports progress at the start, at most once per interval, and at the end', async () => {
    const clock = createManualClock();
    const events: JournalEvent[] = [];
    const result = mapItems({
      storage: createMemoryStorage(),
      run,
      step: 'progress',
      items: [0, 1, 2, 3, 4],
      concurrency: 1,
      clock,
      onEvent: (event) => events.push(event),
      worker: async (item) => {
        await clock.sleep(500);
        if (item === 3) throw new Error('three');
        return item;
      },
    });
    await drive(clock, result, 500);
    const progress = eventsOf(events, 'step-progress');
    expect(progress).toEqual([
      {
        type: 'step-progress',
        step: 'progress',
        done: 0,
        failed: 0,
        total: 5,
        skipped: 0,
        itemsPerSecond: 0,
        elapsedMs: 0,
      },
      {
        type: 'step-progress',
        step: 'progress',
        done: 2,
        failed: 0,
        total: 5,
        skipped: 0,
        itemsPerSecond: 2,
        elapsedMs: 1000,
        etaMs: 1500,
      },
      {
        type: 'step-progress',
        step: 'progress',
        done: 3,
        failed: 1,
        total: 5,
        skipped: 0,
        itemsPerSecond: 2,
        elapsedMs: 2000,
        etaMs: 500,
      },
      {
        type: 'step-progress',
        step: 'progress',
        done: 4,
        failed: 1,
        total: 5,
        skipped: 0,
        itemsPerSecond: 2,
        elapsedMs: 2500,
        etaMs: 0,
      },
    ]);
    expect(
      eventsOf(events, 'item-completed').map((event) => [event.item, event.durationMs]),
    ).toEqual([
      [0, 500],
      [1, 500],
      [2, 500],
      [4, 500],
    ]);
    expect(eventsOf(events, 'item-failed')).toEqual([
      {
        type: 'item-failed',
        step: 'progress',
        item: 3,
        attempt: 1,
        error: { name: 'Error', message: 'three' },
      },
    ]);
    for (const event of events) expect(journalEventSchema.parse(event)).toEqual(event);
  });

  it('counts resumed items as done and skipped, and the rate only over new ones', async () => {
    const storage = createMemoryStorage();
    await mapItems({
      storage,
      run,
      step: 'resumed-rate',
      items: [0, 1, 2],
      worker: async (item) => item,
    });
    const clock = createManualClock();
    const events: JournalEvent[] = [];
    const result = mapItems({
      storage,
      run,
      step: 'resumed-rate',
      items: [0, 1, 2, 3],
      clock,
      onEvent: (event) => events.push(event),
      worker: async (item) => {
        await clock.sleep(2000);
        return item;
      },
    });
    await drive(clock, result, 2000);
    expect(
      eventsOf(events, 'step-progress').map(({ done, skipped, itemsPerSecond, etaMs }) => ({
        done,
        skipped,
        itemsPerSecond,
        etaMs,
      })),
    ).toEqual([
      { done: 3, skipped: 3, itemsPerSecond: 0, etaMs: undefined },
      { done: 4, skipped: 3, itemsPerSecond: 0.5, etaMs: 0 },
      { done: 4, skipped: 3, itemsPerSecond: 0.5, etaMs: 0 },
    ]);
  });

  it('emits retry-scheduled for each retry of an item, with the step, item and wait', async () => {
    const clock = createManualClock();
    const events: JournalEvent[] = [];
    const attempts: AttemptEvent[] = [];
    const storage = createMemoryStorage();
    let calls = 0;
    const result = mapItems({
      storage,
      run,
      step: 'retries',
      items: ['x'],
      clock,
      retry: {
        maxAttempts: 3,
        initialDelayMs: 100,
        jitter: 'none',
        onAttempt: (event) => attempts.push(event),
      },
      onEvent: (event) => events.push(event),
      worker: async (_item, { attempt }) => {
        calls += 1;
        expect(attempt).toBe(calls);
        if (attempt < 3)
          throw new CairnError({ code: 'TRANSIENT_IO', message: `reset ${attempt}` });
        return 'ok';
      },
    });
    await drive(clock, result, 100);
    expect(eventsOf(events, 'retry-scheduled')).toEqual([
      {
        type: 'retry-scheduled',
        step: 'retries',
        item: 0,
        attempt: 1,
        delayMs: 100,
        error: { name: 'CairnError', message: '[cairn] [kernel] reset 1', code: 'TRANSIENT_IO' },
      },
      {
        type: 'retry-scheduled',
        step: 'retries',
        item: 0,
        attempt: 2,
        delayMs: 200,
        error: { name: 'CairnError', message: '[cairn] [kernel] reset 2', code: 'TRANSIENT_IO' },
      },
    ]);
    expect(eventsOf(events, 'item-completed')).toEqual([
      { type: 'item-completed', step: 'retries', item: 0, attempt: 3, durationMs: 300 },
    ]);
    // The caller's own listener still hears every attempt.
    expect(attempts.map((attempt) => attempt.outcome)).toEqual(['failure', 'failure', 'success']);
    const [record] = await storedItemRecords(storage, 'retries');
    expect(record).toMatchObject({ attempt: 3, durationMs: 300, value: 'ok' });
  });

  it('records an item that used up its retries as failed, with every attempt counted', async () => {
    const clock = createManualClock();
    const events: JournalEvent[] = [];
    const storage = createMemoryStorage();
    const result = mapItems({
      storage,
      run,
      step: 'exhausted',
      items: ['x', 'y'],
      clock,
      retry: { maxAttempts: 2, initialDelayMs: 10, jitter: 'none' },
      onEvent: (event) => events.push(event),
      worker: async (item) => {
        if (item === 'x') throw new CairnError({ code: 'TRANSIENT_IO', message: 'down' });
        return item;
      },
    });
    const { outcomes } = await drive(clock, result, 10);
    expect(outcomes[0]).toMatchObject({ status: 'failed', error: { code: 'RETRIES_EXHAUSTED' } });
    expect(outcomes[1]).toMatchObject({ status: 'done', value: 'y' });
    expect(eventsOf(events, 'item-failed')).toEqual([
      expect.objectContaining({
        item: 0,
        attempt: 2,
        error: expect.objectContaining({ code: 'RETRIES_EXHAUSTED' }),
      }),
    ]);
  });

  it('does not retry by default', async () => {
    let calls = 0;
    const result = await mapItems({
      storage: createMemoryStorage(),
      run,
      step: 'no-retry',
      items: [1],
      worker: async () => {
        calls += 1;
        throw new CairnError({ code: 'TRANSIENT_IO', message: 'reset' });
      },
    });
    expect(calls).toBe(1);
    expect(result.failed).toBe(1);
  });

  it('deals grid combinations round-robin and counts coverage per value', async () => {
    const storage = createMemoryStorage();
    const events: JournalEvent[] = [];
    const grid = { temperature: [0.2, 0.7], model: ['a', 'b', 'c'] };
    const seen: unknown[] = [];
    const result = await mapItems({
      storage,
      run,
      step: 'sweep',
      items: Array.from({ length: 14 }, (_, index) => `prompt ${index}`),
      grid,
      onEvent: (event) => events.push(event),
      worker: async (item, { index, parameters }) => {
        seen[index] = parameters;
        if (parameters.model === 'c' && parameters.temperature === 0.7) throw new Error('c at 0.7');
        return item;
      },
    });
    const combinations = [
      { temperature: 0.2, model: 'a' },
      { temperature: 0.2, model: 'b' },
      { temperature: 0.2, model: 'c' },
      { temperature: 0.7, model: 'a' },
      { temperature: 0.7, model: 'b' },
      { temperature: 0.7, model: 'c' },
    ];
    const expected = Array.from({ length: 14 }, (_, index) => combinations[index % 6]);
    expect(seen).toEqual(expected);
    expect(result.outcomes.map((outcome) => outcome.parameters)).toEqual(expected);
    const records = await storedItemRecords(storage, 'sweep');
    expect(records.map((record) => record.parameters)).toEqual(
      records.map((record) => expected[record.index]),
    );
    const coverage = {
      temperature: { '0.2': { done: 8, failed: 0 }, '0.7': { done: 4, failed: 2 } },
      model: { a: { done: 5, failed: 0 }, b: { done: 5, failed: 0 }, c: { done: 2, failed: 2 } },
    };
    expect(result.coverage).toEqual(coverage);
    const sweeps = eventsOf(events, 'sweep-coverage');
    expect(sweeps.length).toBe(eventsOf(events, 'step-progress').length);
    expect(sweeps[0]?.coverage).toEqual({
      temperature: { '0.2': { done: 0, failed: 0 }, '0.7': { done: 0, failed: 0 } },
      model: { a: { done: 0, failed: 0 }, b: { done: 0, failed: 0 }, c: { done: 0, failed: 0 } },
    });
    expect(sweeps.at(-1)?.coverage).toEqual(coverage);
    expect(eventsOf(events, 'item-failed')[0]?.parameters).toEqual({
      temperature: 0.7,
      model: 'c',
    });

    // A resume that keeps the failures reports the same coverage without running anything.
    const resumed = await mapItems({
      storage,
      run,
      step: 'sweep',
      items: Array.from({ length: 14 }, (_, index) => `prompt ${index}`),
      grid,
      retryFailed: false,
      worker: async () => {
        throw new Error('must not run');
      },
    });
    expect(resumed.coverage).toEqual(coverage);
    for (const event of events) journalEventSchema.parse(event);
  });

  it('rejects a grid with an empty list, no parameters or a repeated value', async () => {
    const base = {
      storage: createMemoryStorage(),
      run,
      step: 'bad-grid',
      items: [1],
      worker: async () => 1,
    };
    for (const grid of [{ a: [] }, {}, { a: [1, '1'] }, { a: 'xy' }]) {
      await expect(mapItems({ ...base, grid: grid as never })).rejects.toMatchObject({
        code: 'INVALID_OPTIONS',
      });
    }
  });

  it('keeps going when an event listener throws', async () => {
    const { logger, warnings } = recordingLogger();
    const result = await mapItems({
      storage: createMemoryStorage(),
      run,
      step: 'throwing-listener',
      items: [1, 2],
      logger,
      onEvent: () => {
        throw new Error('listener bug');
      },
      worker: async (item) => item,
    });
    expect(result.values).toEqual([1, 2]);
    expect(warnings.some((warning) => warning.message?.includes('listener threw'))).toBe(true);
  });

  it('passes error messages and stacks through redact before storing or emitting them', async () => {
    const storage = createMemoryStorage();
    const events: JournalEvent[] = [];
    await mapItems({
      storage,
      run,
      step: 'redact',
      items: [1],
      redact: (text) => text.replaceAll('sk-canary-123', '[redacted]'),
      onEvent: (event) => events.push(event),
      worker: async () => {
        throw new Error('auth failed for key sk-canary-123');
      },
    });
    expect(JSON.stringify(events)).not.toContain('sk-canary-123');
    expect(JSON.stringify(events)).toContain('[redacted]');
    for await (const object of storage.list()) {
      const text = (await readAll((await storage.get(object.key)).body)).toString('utf8');
      expect(text).not.toContain('sk-canary-123');
    }
    const [record] = await storedItemRecords(storage, 'redact');
    expect(record?.error?.message).toBe('auth failed for key [redacted]');
    expect(record?.error?.stack).toContain('[redacted]');
  });

  it('hides recognised secrets by default, and after a caller redact hook', async () => {
    const storage = createMemoryStorage();
    const events: JournalEvent[] = [];
    // Shaped like an OpenAI key, built from pieces so no scanner takes this file for a leak.
    const shapedKey = `${'sk-'}proj-ItemCanary7Qz3Xw9Lm2Np8`;
    const worker = async (item: number) => {
      throw new Error(`item ${item}: project-alpha rejected Authorization: Bearer ${shapedKey}`);
    };
    await mapItems({
      storage,
      run,
      step: 'scrub-default',
      items: [1],
      onEvent: (event) => events.push(event),
      worker,
    });
    await mapItems({
      storage,
      run,
      step: 'scrub-composed',
      items: [2],
      redact: (text) => text.replaceAll('project-alpha', '[project]'),
      onEvent: (event) => events.push(event),
      worker,
    });
    expect(JSON.stringify(events)).not.toContain(shapedKey);
    const [plain] = await storedItemRecords(storage, 'scrub-default');
    expect(plain?.error?.message).toBe(
      'item 1: project-alpha rejected Authorization: Bearer [redacted]',
    );
    expect(plain?.error?.stack).not.toContain(shapedKey);
    const [composed] = await storedItemRecords(storage, 'scrub-composed');
    expect(composed?.error?.message).toBe(
      'item 2: [project] rejected Authorization: Bearer [redacted]',
    );
  });
});
