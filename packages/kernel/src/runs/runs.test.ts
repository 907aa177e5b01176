import { describe, expect, it, vi } from 'vitest';
import { parse } from 'yaml';
import { isCairnError } from '../errors/cairn-error.js';
import { readJournal } from '../journal/journal-reader.js';
import { runKeys } from '../naming/layout.js';
import { createTimeIdGenerator } from '../naming/time-id.js';
import { readAll } from '../storage/body.js';
import { createMemoryStorage } from '../storage/memory-storage.js';
import type { Storage } from '../storage/storage.js';
import { rejection } from '../testing/rejection.js';
import { parseRunRecord } from './run-record.js';
import { describeRun, latestRun, listRuns, readRun, readRunRecord } from './run-status.js';
import { startRun } from './start-run.js';

async function text(storage: Storage, key: string): Promise<string> {
  return (await readAll((await storage.get(key)).body)).toString('utf8');
}

async function journalTypes(storage: Storage, run: string): Promise<string[]> {
  const types: string[] = [];
  for await (const entry of readJournal(storage, run)) types.push(entry.event.type);
  return types;
}

describe('runs', () => {
  it('claims a record that says RUNNING, then stores the final state and journal head', async () => {
    const storage = createMemoryStorage();
    const run = await startRun({ storage, pipeline: 'research', steps: ['a', 'b'] });
    expect(run.id).toMatch(/^research\/\d{8}T/);
    expect((await readRun(storage, run.id))?.state).toBe('RUNNING');

    await run.updateStep('a', { state: 'COMPLETED', checkpoint: 'a/20250101T000000.000Z-aaaaaa' });
    const record = await run.finish('COMPLETED');
    expect(record.state).toBe('COMPLETED');
    const stored = parseRunRecord(await text(storage, runKeys(run.id).record), 'run.json');
    expect(stored.state).toBe('COMPLETED');
    expect(stored.finishedAt).toBeDefined();
    expect(stored.steps).toMatchObject([{ name: 'a', state: 'COMPLETED' }]);
    expect(stored.journal?.entries).toBe(2);
    expect(await journalTypes(storage, run.id)).toEqual(['run-started', 'run-finished']);
    // finish is idempotent.
    expect(await run.finish('FAILED')).toEqual(record);
  });

  it('beats while RUNNING', async () => {
    const storage = createMemoryStorage();
    const run = await startRun({ storage, pipeline: 'beats', heartbeatIntervalMs: 10 });
    const first = (await readRunRecord(storage, run.id))?.record.heartbeatAt;
    await vi.waitFor(async () => {
      const now = (await readRunRecord(storage, run.id))?.record.heartbeatAt;
      expect(now).not.toBe(first);
    });
    await run.finish('COMPLETED');
    expect(await journalTypes(storage, run.id)).toContain('run-heartbeat');
  });

  it('reports a RUNNING run with a stale heartbeat as INTERRUPTED', async () => {
    const storage = createMemoryStorage();
    let clock = Date.UTC(2026, 0, 1);
    const run = await startRun({
      storage,
      pipeline: 'stale',
      now: () => clock,
      heartbeatIntervalMs: 1000,
    });
    const fresh = await readRun(storage, run.id, { now: clock + 2000 });
    expect(fresh).toMatchObject({ state: 'RUNNING', stale: false });
    const stale = await readRun(storage, run.id, { now: clock + 3001 });
    expect(stale).toMatchObject({ state: 'INTERRUPTED', stale: true, heartbeatAgeMs: 3001 });
    if (stale === undefined) throw new Error('the run disappeared');
    expect(describeRun(stale.record, { now: clock + 3001, staleAfterMs: 10_000 }).state).toBe(
      'RUNNING',
    );
    clock += 1;
    await run.finish('INTERRUPTED', { reason: 'SIGINT' });
  });

  it('resumes an interrupted run as a new attempt that continues the journal', async () => {
    const storage = createMemoryStorage();
    const first = await startRun({ storage, pipeline: 'again' });
    await first.finish('INTERRUPTED', { reason: 'SIGTERM' });
    const second = await startRun({ storage, pipeline: 'again', resume: first.id });
    expect(second.id).toBe(first.id);
    expect(second.attempt).toBe(2);
    expect(second.previous?.reason).toBe('SIGTERM');
    expect(second.record.reason).toBeUndefined();
    await second.finish('COMPLETED');
    expect(await journalTypes(storage, first.id)).toEqual([
      'run-started',
      'run-finished',
      'run-started',
      'run-finished',
    ]);
  });

  it('refuses to resume a run another live process owns, unless forced', async () => {
    const storage = createMemoryStorage();
    const owner = await startRun({ storage, pipeline: 'busy' });
    const error = await rejection(startRun({ storage, pipeline: 'busy', resume: owner.id }));
    expect(error.code).toBe('CONFLICT');
    expect(error.retryable).toBe(false);
    expect(error.message).toContain(`process ${process.pid}`);

    const taker = await startRun({ storage, pipeline: 'busy', resume: owner.id, force: true });
    // The first owner finds out at its next write and stops.
    const lost = await rejection(owner.updateStep('x', { state: 'RUNNING' }));
    expect(lost.code).toBe('CONFLICT');
    expect(owner.signal.aborted).toBe(true);
    await taker.finish('COMPLETED');
    expect((await readRun(storage, owner.id))?.record).toMatchObject({
      state: 'COMPLETED',
      attempt: 2,
    });
  });

  it('says clearly when the run to resume does not exist or belongs elsewhere', async () => {
    const storage = createMemoryStorage();
    const missing = await rejection(
      startRun({ storage, pipeline: 'p', resume: 'p/20250101T000000.000Z-aaaaaa' }),
    );
    expect(missing.code).toBe('NOT_FOUND');
    const other = await rejection(
      startRun({ storage, pipeline: 'p', resume: 'q/20250101T000000.000Z-aaaaaa' }),
    );
    expect(other.code).toBe('INVALID_OPTIONS');
    expect((await rejection(startRun({ storage, pipeline: 'bad name' }))).code).toBe(
      'INVALID_OPTIONS',
    );
  });

  it('writes an error record with step, message, stack and causes beside the run', async () => {
    const storage = createMemoryStorage();
    const run = await startRun({ storage, pipeline: 'oops' });
    const key = await run.recordError(
      new Error('step blew up', { cause: new TypeError('bad input') }),
      'compress',
    );
    expect(key.startsWith(runKeys(run.id).errorsPrefix)).toBe(true);
    const record = parse(await text(storage, key));
    expect(record).toMatchObject({
      format: 'cairn.error/v1',
      run: run.id,
      step: 'compress',
      name: 'Error',
      message: 'step blew up',
      causes: [{ name: 'TypeError', message: 'bad input' }],
    });
    expect(record.stack).toContain('runs.test.ts');
    expect(Date.parse(record.time)).not.toBeNaN();
    await run.finish('FAILED', { error: new Error('step blew up'), errorRecord: key });
    expect((await readRun(storage, run.id))?.record.error).toMatchObject({
      message: 'step blew up',
      record: key,
    });
  });

  it('lists runs oldest first and finds the latest readable one', async () => {
    const storage = createMemoryStorage();
    let clock = Date.UTC(2026, 0, 1);
    const timeIds = createTimeIdGenerator({ now: () => clock });
    const ids: string[] = [];
    for (let index = 0; index < 3; index++) {
      const run = await startRun({ storage, pipeline: 'many', timeIds, now: () => clock });
      await run.finish(index === 1 ? 'FAILED' : 'COMPLETED');
      ids.push(run.id);
      clock += 1000;
    }
    const listed: string[] = [];
    for await (const status of listRuns(storage, 'many', { now: clock })) {
      listed.push(status.record.id);
    }
    expect(listed).toEqual(ids);
    // A newer run whose record is corrupt does not hide the one before it.
    const newest = ids[2] ?? '';
    await storage.put(runKeys(newest).record, 'state: [oops');
    const skipped: string[] = [];
    for await (const _ of listRuns(storage, 'many', { onSkipped: (run) => skipped.push(run) })) {
      // drain
    }
    expect(skipped).toEqual([newest]);
    expect((await latestRun(storage, 'many'))?.record.id).toBe(ids[1]);
    const corrupt = await rejection(readRun(storage, newest));
    expect(corrupt.code).toBe('CORRUPT_DATA');
    expect(corrupt.message).toContain(runKeys(newest).record);
    expect(isCairnError(corrupt)).toBe(true);
  });
});
