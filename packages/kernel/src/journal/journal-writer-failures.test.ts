import { describe, expect, it } from 'vitest';
import type { Logger } from '../logging/logger.js';
import { runKeys } from '../naming/layout.js';
import { createManualClock } from '../retry/manual-clock.js';
import { createMemoryStorage } from '../storage/memory-storage.js';
import type { Storage } from '../storage/storage.js';
import {
  heartbeat,
  journalTestRun as run,
  scriptedStorage,
  storedLines,
  writeTestJournal,
} from '../testing/journal-storage.js';
import { withoutDigests } from '../testing/mirrored-storage-support.js';
import { expectCairnError, rejection } from '../testing/rejection.js';
import { genesisHashOf } from './journal-hash.js';
import { readJournal } from './journal-reader.js';
import { verifyJournal } from './journal-verify.js';
import { openJournalWriter } from './journal-writer.js';

const keys = runKeys(run);
const never = 3_600_000;

async function sequences(storage: Parameters<typeof readJournal>[0]): Promise<number[]> {
  const found: number[] = [];
  for await (const entry of readJournal(storage, run)) found.push(entry.seq);
  return found;
}

/** Every key written, with each distinct body it was given: a key with two bodies is a bug. */
function bodiesByKey(puts: readonly { key: string; body: string }[]): Map<string, Set<string>> {
  const bodies = new Map<string, Set<string>>();
  for (const put of puts) bodies.set(put.key, (bodies.get(put.key) ?? new Set()).add(put.body));
  return bodies;
}

describe('journal writer failures', () => {
  it('keeps entries after a failed flush and writes the same segment, in order, on the next', async () => {
    const storage = scriptedStorage(createMemoryStorage());
    const writer = await openJournalWriter({ storage, run, flushIntervalMs: never });
    writer.append(heartbeat);
    writer.append(heartbeat);
    storage.script.push('fail', 'fail');
    const failed = await rejection(writer.flush());
    expect(failed.code).toBe('TRANSIENT_IO');
    expect(failed.retryable).toBe(true);
    expect(failed.message).toContain('stay buffered');
    writer.append(heartbeat);
    expect((await rejection(writer.flush())).code).toBe('TRANSIENT_IO');
    expect(writer.head.entries).toBe(0);
    expect(writer.buffered).toBe(3);
    await writer.flush();
    expect(await sequences(storage)).toEqual([1, 2, 3]);
    // The first segment is retried exactly as frozen; the entry appended meanwhile goes next.
    expect(storage.puts.map((put) => put.key)).toEqual([
      keys.journalSegment(1),
      keys.journalSegment(1),
      keys.journalSegment(1),
      keys.journalSegment(2),
    ]);
    expect([...bodiesByKey(storage.puts).values()].every((set) => set.size === 1)).toBe(true);
    await writer.close();
    expect(await verifyJournal(storage, run, { expectedHead: writer.head })).toMatchObject({
      ok: true,
      entries: 3,
    });
  });

  it('recognises its own segment when an earlier attempt stored it but lost the answer', async () => {
    for (const storage of [
      scriptedStorage(createMemoryStorage()),
      // Without a digest from head, the stored bytes are read and hashed.
      scriptedStorage(
        withoutDigests(createMemoryStorage()) as ReturnType<typeof createMemoryStorage>,
      ),
    ]) {
      const writer = await openJournalWriter({ storage, run, flushIntervalMs: never });
      writer.append(heartbeat);
      storage.script.push('lose-answer');
      expect((await rejection(writer.flush())).code).toBe('TRANSIENT_IO');
      writer.append(heartbeat);
      await writer.flush();
      expect(writer.head.entries).toBe(2);
      expect(await sequences(storage)).toEqual([1, 2]);
      await writer.close();
      expect((await verifyJournal(storage, run, { expectedHead: writer.head })).ok).toBe(true);
    }
  });

  it('fails with CONFLICT when another writer created the segment, and stops appending', async () => {
    const memory = createMemoryStorage();
    const writer = await openJournalWriter({ storage: memory, run, flushIntervalMs: never });
    writer.append(heartbeat);
    await memory.put(keys.journalSegment(1), 'someone else\n');
    const conflict = await rejection(writer.flush());
    expect(conflict.code).toBe('CONFLICT');
    expect(conflict.message).toContain('another writer');
    // Its segment is no journal, so there is nothing to continue after.
    expect(conflict.message).toContain('cannot be continued');
    expect(conflict.message).not.toContain('..');
    expect(await storedLines(memory, keys.journalSegment(1))).toEqual(['someone else']);
    expectCairnError(() => writer.append(heartbeat), 'CONFLICT');
    expect((await rejection(writer.flush())).code).toBe('CONFLICT');
    expect((await rejection(writer.close())).code).toBe('CONFLICT');
    expect(await memory.head(keys.journalSegment(2))).toBeUndefined();
  });

  it('does not overwrite another writer on a backend without conditional writes', async () => {
    const memory = createMemoryStorage();
    const storage: Storage = {
      ...memory,
      capabilities: { ...memory.capabilities, conditionalWrites: false },
      // Like a backend that ignores ifNoneMatch.
      put: (key, body, { ifNoneMatch: _ignored, ...options } = {}) =>
        memory.put(key, body, options),
    };
    const writer = await openJournalWriter({ storage, run, flushIntervalMs: never });
    writer.append(heartbeat);
    await memory.put(keys.journalSegment(1), 'someone else\n');
    expect((await rejection(writer.flush())).code).toBe('CONFLICT');
    expect(await storedLines(memory, keys.journalSegment(1))).toEqual(['someone else']);
  });

  it('refuses to start over a run that already has a journal unless resuming', async () => {
    const storage = createMemoryStorage();
    await writeTestJournal(storage, [2]);
    const refused = await rejection(openJournalWriter({ storage, run }));
    expect(refused.code).toBe('CONFLICT');
    expect(refused.message).toContain('resume: true');
  });

  it('resumes the chain and the segment numbers where the journal ends', async () => {
    const storage = createMemoryStorage();
    const firstHead = await writeTestJournal(storage, [2, 3], { finished: true });
    const writer = await openJournalWriter({ storage, run, resume: true, flushIntervalMs: never });
    expect(writer.head).toEqual(firstHead);
    const entry = writer.append({
      type: 'run-started',
      pipeline: 'research',
      attempt: 2,
      host: 'h',
      pid: 1,
    });
    expect(entry.seq).toBe(7);
    expect(entry.prev).toBe(firstHead.hash);
    await writer.close();
    expect(await storage.head(keys.journalSegment(3))).toBeDefined();
    expect(await verifyJournal(storage, run, { expectedHead: writer.head })).toMatchObject({
      ok: true,
      entries: 7,
      segments: 3,
    });
  });

  it('resumes a run without a journal from the genesis hash', async () => {
    const storage = createMemoryStorage();
    const writer = await openJournalWriter({ storage, run, resume: true, flushIntervalMs: never });
    expect(writer.head).toEqual({ entries: 0, hash: genesisHashOf(run) });
    expect(writer.append(heartbeat).seq).toBe(1);
    await writer.close();
    expect(await storage.head(keys.journalSegment(1))).toBeDefined();
  });

  it('refuses to resume a journal whose last segment is cut or damaged', async () => {
    for (const damage of ['{"v":1,"seq":2', '', 'not json\n']) {
      const storage = createMemoryStorage();
      await writeTestJournal(storage, [1, 2]);
      storage.corrupt(keys.journalSegment(2), damage);
      const refused = await rejection(openJournalWriter({ storage, run, resume: true }));
      expect(refused.code).toBe('CORRUPT_DATA');
      expect(refused.message).toContain('verifyJournal');
    }
  });

  it('refuses appends after close, and a failed close can be retried', async () => {
    const storage = scriptedStorage(createMemoryStorage());
    const writer = await openJournalWriter({ storage, run, flushIntervalMs: never });
    writer.append(heartbeat);
    storage.script.push('fail');
    expect((await rejection(writer.close())).code).toBe('TRANSIENT_IO');
    expect(expectCairnError(() => writer.append(heartbeat), 'UNSUPPORTED').message).toContain(
      'closed',
    );
    await writer.close();
    expect(writer.head.entries).toBe(1);
    expect(await sequences(storage)).toEqual([1]);
  });

  it('logs a failed background flush and tries again on the next interval', async () => {
    const clock = createManualClock();
    const storage = scriptedStorage(createMemoryStorage());
    const warnings: string[] = [];
    const logger: Logger = {
      debug: () => {},
      info: () => {},
      warn: (fields: object | string, message?: string) => {
        warnings.push(`${message} ${JSON.stringify(fields)}`);
      },
      error: () => {},
      child: () => logger,
    };
    const writer = await openJournalWriter({ storage, run, clock, logger, flushIntervalMs: 100 });
    storage.script.push('fail');
    writer.append(heartbeat);
    await clock.advance(100);
    await expect.poll(() => warnings.length).toBe(1);
    expect(warnings[0]).toContain(run);
    expect(writer.head.entries).toBe(0);
    await clock.advance(100);
    await expect.poll(() => writer.head.entries).toBe(1);
    expect(storage.puts).toHaveLength(2);
    await writer.close();
  });

  it('does not retry on every append while the storage is failing', async () => {
    const clock = createManualClock();
    const storage = scriptedStorage(createMemoryStorage());
    const writer = await openJournalWriter({
      storage,
      run,
      clock,
      maxBufferedEntries: 2,
      flushIntervalMs: 100,
    });
    storage.script.push('fail');
    writer.append(heartbeat);
    writer.append(heartbeat);
    await expect.poll(() => storage.puts.length).toBe(1);
    for (let count = 0; count < 10; count += 1) writer.append(heartbeat);
    await clock.advance(0);
    expect(storage.puts).toHaveLength(1);
    await writer.close();
    expect(await sequences(storage)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);
  });
});
