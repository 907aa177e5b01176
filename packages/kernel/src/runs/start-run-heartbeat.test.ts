import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { CairnError, isCairnError } from '../errors/cairn-error.js';
import type { Logger } from '../logging/logger.js';
import { runKeys } from '../naming/layout.js';
import { createMemoryStorage } from '../storage/memory-storage.js';
import type { Storage } from '../storage/storage.js';
import { rejection } from '../testing/rejection.js';
import { readRunRecord } from './run-status.js';
import { startRun } from './start-run.js';

const never = 3_600_000;

interface LogLine {
  readonly level: 'warn' | 'error';
  readonly message: string;
}

function recordingLogger(): { logger: Logger; lines: LogLine[] } {
  const lines: LogLine[] = [];
  const record =
    (level: LogLine['level']) =>
    (fields: object | string, message?: string): void => {
      lines.push({ level, message: typeof fields === 'string' ? fields : (message ?? '') });
    };
  const logger: Logger = {
    debug: () => {},
    info: () => {},
    warn: record('warn'),
    error: record('error'),
    child: () => logger,
  };
  return { logger, lines };
}

/** A view of `memory` whose journal segment puts fail as a storage that is down would. */
function failingJournalPuts(memory: Storage, run: () => string | undefined): Storage {
  return {
    ...memory,
    put: async (key, body, options) => {
      const id = run();
      if (id !== undefined && key.startsWith(runKeys(id).journalPrefix)) {
        throw new CairnError({ code: 'TRANSIENT_IO', backend: 'test', message: 'Disk is gone.' });
      }
      return memory.put(key, body, options);
    },
  };
}

/** Waits until the run record shows a heartbeat after `after`: the timer has fired since. */
async function nextStoredBeat(storage: Storage, run: string, after: string): Promise<void> {
  await vi.waitFor(async () => {
    const beat = (await readRunRecord(storage, run))?.record.heartbeatAt ?? after;
    expect(beat > after).toBe(true);
  });
}

describe('the heartbeat timer of a run', () => {
  const uncaught: unknown[] = [];
  const onUncaught = (error: unknown) => uncaught.push(error);
  beforeEach(() => {
    uncaught.length = 0;
    process.on('uncaughtException', onUncaught);
  });
  afterEach(() => {
    process.off('uncaughtException', onUncaught);
  });

  it('treats a journal that refuses its entry with CONFLICT as a lost lease, never throwing', async () => {
    const storage = createMemoryStorage();
    const { logger, lines } = recordingLogger();
    const run = await startRun({
      storage,
      pipeline: 'beats',
      heartbeatIntervalMs: 10,
      journalFlushIntervalMs: never,
      logger,
    });
    await run.journal.flush();
    // Something else wrote the next segment, and it cannot be continued: the writer stops.
    await storage.put(runKeys(run.id).journalSegment(2), 'not a journal line\n');
    run.emit({ type: 'custom', name: 'blocked' });
    expect((await rejection(run.journal.flush())).code).toBe('CONFLICT');
    expect(run.signal.aborted).toBe(false);

    // The next beat's entry is refused from inside the timer.
    await vi.waitFor(() => expect(run.signal.aborted).toBe(true));
    expect(isCairnError(run.signal.reason, 'CONFLICT')).toBe(true);
    expect(lines).toContainEqual({
      level: 'warn',
      message: 'run was taken over by another process',
    });
    expect(uncaught).toEqual([]);
    await run.finish('INTERRUPTED');
  });

  it('logs other failures and goes on beating', async () => {
    const memory = createMemoryStorage();
    let id: string | undefined;
    const storage = failingJournalPuts(memory, () => id);
    const { logger, lines } = recordingLogger();
    let time = Date.UTC(2026, 0, 1);
    let listenerThrows = false;
    const run = await startRun({
      storage,
      pipeline: 'beats',
      heartbeatIntervalMs: 10,
      journalFlushIntervalMs: 10,
      logger,
      now: () => time,
      onEntry: () => {
        if (listenerThrows) throw new Error('listener broke');
      },
    });
    id = run.id;
    const started = run.record.heartbeatAt;

    // Journal segments cannot be stored: the writer logs it; the heartbeat goes on.
    time += 1000;
    await vi.waitFor(() =>
      expect(lines.map((line) => line.message)).toContain(
        'journal flush failed; entries stay buffered and are written on the next flush',
      ),
    );
    await nextStoredBeat(memory, run.id, started);

    // A listener that throws on the heartbeat's entry is logged.
    listenerThrows = true;
    await vi.waitFor(() =>
      expect(lines).toContainEqual({ level: 'warn', message: 'onEntry listener threw' }),
    );
    listenerThrows = false;

    // A journal that refuses the entry for another reason (here a clock gone wrong).
    const beforeBadClock = (await readRunRecord(memory, run.id))?.record.heartbeatAt ?? '';
    time = Number.NaN;
    await vi.waitFor(() =>
      expect(lines).toContainEqual({
        level: 'error',
        message: 'heartbeat could not be journalled',
      }),
    );
    time = Date.UTC(2026, 0, 2);
    await nextStoredBeat(memory, run.id, beforeBadClock);

    expect(run.signal.aborted).toBe(false);
    expect(uncaught).toEqual([]);
    id = undefined;
    await run.finish('COMPLETED');
  });
});
