import { describe, expect, it } from 'vitest';
import { runKeys } from '../naming/layout.js';
import type { Clock } from '../retry/clock.js';
import { createManualClock, type ManualClock } from '../retry/manual-clock.js';
import { createMemoryStorage } from '../storage/memory-storage.js';
import type { Storage } from '../storage/storage.js';
import {
  heartbeat,
  journalTestRun as run,
  scriptedStorage,
  writeTestJournal,
} from '../testing/journal-storage.js';
import { rejection } from '../testing/rejection.js';
import type { JournalEntry } from './journal-events.js';
import { type FollowJournalOptions, followJournal } from './journal-follow.js';
import { openJournalWriter } from './journal-writer.js';

const keys = runKeys(run);
const finished = { type: 'run-finished', state: 'COMPLETED', durationMs: 1 } as const;

/** Follows in the background, collecting entries; `done` settles when the iteration ends. */
function follow(storage: Storage, options: FollowJournalOptions) {
  const seen: JournalEntry[] = [];
  const done = (async () => {
    for await (const entry of followJournal(storage, run, options)) seen.push(entry);
  })();
  return { seen, done };
}

/** Lets the follower run until it waits on the clock, then wakes it for one more poll. */
async function nextPoll(clock: ManualClock): Promise<void> {
  await expect.poll(() => clock.pendingSleeps).toBe(1);
  await clock.advanceToNextSleep();
}

/** A clock that records how long each sleep asked for. */
function recording(clock: ManualClock): { clock: Clock; sleeps: number[] } {
  const sleeps: number[] = [];
  return {
    sleeps,
    clock: {
      now: () => clock.now(),
      sleep: (ms, signal) => {
        sleeps.push(ms);
        return clock.sleep(ms, signal);
      },
    },
  };
}

describe('followJournal', () => {
  it('yields stored entries, then new ones as a writer flushes them, and ends after run-finished', async () => {
    const clock = createManualClock();
    const storage = scriptedStorage(createMemoryStorage());
    const writer = await openJournalWriter({ storage, run, flushIntervalMs: 3_600_000 });
    writer.append(heartbeat);
    await writer.flush();
    const { seen, done } = follow(storage, { clock, pollIntervalMs: 100 });
    await expect.poll(() => seen.length).toBe(1);
    writer.append(heartbeat);
    writer.append(heartbeat);
    await writer.flush();
    await nextPoll(clock);
    await expect.poll(() => seen.length).toBe(3);
    writer.append(finished);
    await writer.close();
    await nextPoll(clock);
    await done;
    expect(seen.map((entry) => entry.seq)).toEqual([1, 2, 3, 4]);
    // Each segment was read once: polls list only what came after the last segment read.
    expect(storage.gets).toEqual([
      keys.journalSegment(1),
      keys.journalSegment(2),
      keys.journalSegment(3),
    ]);
  });

  it('keeps up with a writer appending concurrently', async () => {
    const storage = createMemoryStorage();
    const writer = await openJournalWriter({
      storage,
      run,
      flushIntervalMs: 1,
      maxBufferedEntries: 7,
    });
    const { seen, done } = follow(storage, { pollIntervalMs: 1, maxPollIntervalMs: 2 });
    for (let index = 0; index < 300; index += 1) {
      writer.append({
        type: 'item-completed',
        step: 'generate',
        item: index,
        attempt: 1,
        durationMs: 1,
      });
      if (index % 13 === 0) await new Promise((resolve) => setImmediate(resolve));
    }
    writer.append(finished);
    await writer.close();
    await done;
    expect(seen.map((entry) => entry.seq)).toEqual(
      Array.from({ length: 301 }, (_, index) => index + 1),
    );
  });

  it('waits for a journal that does not exist yet', async () => {
    const clock = createManualClock();
    const storage = createMemoryStorage();
    const { seen, done } = follow(storage, { clock, pollIntervalMs: 100 });
    await nextPoll(clock);
    await writeTestJournal(storage, [2], { finished: true });
    await nextPoll(clock);
    await done;
    expect(seen).toHaveLength(3);
  });

  it('follows a finished run that was resumed into its next attempt', async () => {
    const storage = createMemoryStorage();
    await writeTestJournal(storage, [1], { finished: true });
    const writer = await openJournalWriter({
      storage,
      run,
      resume: true,
      flushIntervalMs: 3_600_000,
    });
    writer.append({ type: 'run-started', pipeline: 'research', attempt: 2, host: 'h', pid: 1 });
    writer.append(finished);
    await writer.close();
    const { seen, done } = follow(storage, { clock: createManualClock() });
    await done;
    expect(seen.map((entry) => entry.event.type)).toEqual([
      'run-heartbeat',
      'run-finished',
      'run-started',
      'run-finished',
    ]);
  });

  it('starts after afterSequence, and ends at once when the run had already finished there', async () => {
    const storage = createMemoryStorage();
    await writeTestJournal(storage, [2, 2], { finished: true });
    const after = follow(storage, { afterSequence: 3, clock: createManualClock() });
    await after.done;
    expect(after.seen.map((entry) => entry.seq)).toEqual([4, 5]);
    const atEnd = follow(storage, { afterSequence: 5, clock: createManualClock() });
    await atEnd.done;
    expect(atEnd.seen).toEqual([]);
  });

  it('ends right after the entry `until` accepts', async () => {
    const storage = createMemoryStorage();
    await writeTestJournal(storage, [3, 3], { finished: true });
    const { seen, done } = follow(storage, {
      until: (entry) => entry.seq === 2,
      clock: createManualClock(),
    });
    await done;
    expect(seen.map((entry) => entry.seq)).toEqual([1, 2]);
  });

  it('ends quietly when its signal aborts during a wait', async () => {
    const clock = createManualClock();
    const storage = createMemoryStorage();
    await writeTestJournal(storage, [2]);
    const controller = new AbortController();
    const { seen, done } = follow(storage, { clock, signal: controller.signal });
    await expect.poll(() => clock.pendingSleeps).toBe(1);
    controller.abort(new Error('monitor closed'));
    await done;
    expect(seen).toHaveLength(2);
    expect(clock.pendingSleeps).toBe(0);
  });

  it('ends quietly when its signal aborts in the middle of a segment', async () => {
    const storage = createMemoryStorage();
    await writeTestJournal(storage, [5]);
    const controller = new AbortController();
    const seen: number[] = [];
    for await (const entry of followJournal(storage, run, {
      signal: controller.signal,
      clock: createManualClock(),
    })) {
      seen.push(entry.seq);
      controller.abort(new Error('monitor closed'));
    }
    expect(seen).toEqual([1]);
  });

  it('backs off while nothing arrives, up to the longest wait, and starts over when entries come', async () => {
    const manual = createManualClock();
    const { clock, sleeps } = recording(manual);
    const storage = createMemoryStorage();
    await writeTestJournal(storage, [1]);
    const { seen, done } = follow(storage, { clock, pollIntervalMs: 100, maxPollIntervalMs: 500 });
    for (let poll = 0; poll < 5; poll += 1) await nextPoll(manual);
    const writer = await openJournalWriter({
      storage,
      run,
      resume: true,
      flushIntervalMs: 3_600_000,
    });
    writer.append(heartbeat);
    await writer.close();
    await nextPoll(manual);
    await expect.poll(() => seen.length).toBe(2);
    await nextPoll(manual);
    const another = await openJournalWriter({
      storage,
      run,
      resume: true,
      flushIntervalMs: 3_600_000,
    });
    another.append(finished);
    await another.close();
    await nextPoll(manual);
    await done;
    expect(sleeps).toEqual([100, 100, 200, 400, 500, 500, 100, 100]);
  });

  it('throws CORRUPT_DATA for a damaged line and INVALID_OPTIONS for bad options', async () => {
    const storage = createMemoryStorage();
    await writeTestJournal(storage, [1]);
    storage.corrupt(keys.journalSegment(1), 'garbage\n');
    expect((await rejection(follow(storage, { clock: createManualClock() }).done)).code).toBe(
      'CORRUPT_DATA',
    );
    expect((await rejection(followJournal(storage, run, { pollIntervalMs: -5 }).next())).code).toBe(
      'INVALID_OPTIONS',
    );
    expect((await rejection(followJournal(storage, 'no', {}).next())).code).toBe('INVALID_OPTIONS');
  });
});
