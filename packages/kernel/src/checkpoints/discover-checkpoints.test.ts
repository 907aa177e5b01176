import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { checkpointKeys } from '../naming/layout.js';
import { createMemoryStorage } from '../storage/memory-storage.js';
import { bytesAt, otherRun, storeOver, testRun } from '../testing/checkpoints-fixtures.js';
import { rejection } from '../testing/rejection.js';
import type { CheckpointRecord } from './checkpoint-record.js';
import type { CheckpointStore, ListQuery } from './checkpoint-store.js';

async function ids(store: CheckpointStore, query?: ListQuery): Promise<string[]> {
  const found: string[] = [];
  for await (const record of store.list(query)) found.push(record.id);
  return found;
}

describe('discovery', () => {
  it('lists committed checkpoints oldest first, also several saved in the same millisecond', async () => {
    const { store, clock } = storeOver();
    const saved: CheckpointRecord[] = [];
    // The clock stands still: ids still sort in save order.
    for (let index = 0; index < 5; index++) {
      saved.push(await store.save({ run: testRun, step: 'gen', state: index }));
    }
    await clock.advance(5);
    saved.push(await store.save({ run: testRun, step: 'gen', state: 5 }));
    expect(await ids(store, { step: 'gen' })).toEqual(saved.map((record) => record.id));
    expect((await store.latest({ step: 'gen' }))?.id).toBe(saved[5]?.id);
    expect(new Set(saved.map((record) => record.id)).size).toBe(6);
  });

  it('lists every step in time order when no step is given, and filters by run', async () => {
    const { store, clock } = storeOver();
    const order: string[] = [];
    for (const [step, run] of [
      ['zeta', testRun],
      ['alpha', otherRun],
      ['zeta', otherRun],
      ['alpha', testRun],
    ] as const) {
      order.push((await store.save({ run, step, state: step })).id);
      await clock.advance(1);
    }
    expect(await ids(store)).toEqual(order);
    expect(await ids(store, { run: testRun })).toEqual([order[0], order[3]]);
    expect(await ids(store, { step: 'zeta', run: otherRun })).toEqual([order[2]]);
    expect((await store.latest({ step: 'alpha', run: otherRun }))?.id).toBe(order[1]);
  });

  it('returns undefined from latest and nothing from list for a step without checkpoints', async () => {
    const { store } = storeOver();
    expect(await store.latest({ step: 'none' })).toBeUndefined();
    expect(await ids(store, { step: 'none' })).toEqual([]);
  });

  it('never shows a payload without a sidecar (a save still writing, or one that crashed)', async () => {
    const storage = createMemoryStorage();
    const { store, clock } = storeOver(storage);
    const committed = await store.save({ run: testRun, step: 'gen', state: 1 });
    await clock.advance(1);
    const orphan = checkpointKeys('gen/20250810T143300.000Z-aaaaaa');
    await storage.put(orphan.payload, '{"half":');
    expect(await ids(store, { step: 'gen' })).toEqual([committed.id]);
    expect((await store.latest({ step: 'gen' }))?.id).toBe(committed.id);
    expect((await store.load({ step: 'gen' })).record.id).toBe(committed.id);
    const error = await rejection(store.get('gen/20250810T143300.000Z-aaaaaa'));
    expect(error.code).toBe('NOT_FOUND');
    expect(error.message).toContain('No committed checkpoint');
  });

  it('skips a sidecar that does not parse, with a warning, and names it CORRUPT_DATA by id', async () => {
    const storage = createMemoryStorage();
    const { store, clock, warnings } = storeOver(storage);
    const good = await store.save({ run: testRun, step: 'gen', state: 1 });
    await clock.advance(1);
    const bad = await store.save({ run: testRun, step: 'gen', state: 2 });
    storage.corrupt(checkpointKeys(bad.id).sidecar, 'format: [unclosed');

    expect(await ids(store, { step: 'gen' })).toEqual([good.id]);
    expect((await store.latest({ step: 'gen' }))?.id).toBe(good.id);
    expect((await store.load({ step: 'gen' })).state).toBe(1);
    expect(warnings.some((warning) => warning.fields.checkpoint === bad.id)).toBe(true);
    expect(warnings[0]?.fields.reason).toBeTypeOf('string');

    const error = await rejection(store.get(bad.id));
    expect(error.code).toBe('CORRUPT_DATA');
    expect(error.message).toContain(`The sidecar of checkpoint "${bad.id}"`);
    expect((await rejection(store.load({ id: bad.id }))).code).toBe('CORRUPT_DATA');
  });

  it('treats a sidecar that fails the schema as damaged', async () => {
    const storage = createMemoryStorage();
    const { store, warnings } = storeOver(storage);
    const saved = await store.save({ run: testRun, step: 'gen', state: 1 });
    const key = checkpointKeys(saved.id).sidecar;
    // Stored as a fresh object, so the storage's own digest matches: only the schema can tell.
    await storage.delete(key);
    await storage.put(key, stringify({ ...saved, size: -1 }));
    expect(await ids(store)).toEqual([]);
    expect(String(warnings[0]?.fields.reason)).toContain('size');
    const error = await rejection(store.get(saved.id));
    expect(error.code).toBe('CORRUPT_DATA');
    expect(error.message).toContain('does not match cairn.checkpoint/v1');
  });

  it("treats a sidecar stored under another checkpoint's key as damaged", async () => {
    const storage = createMemoryStorage();
    const { store, clock } = storeOver(storage);
    const first = await store.save({ run: testRun, step: 'gen', state: 1 });
    await clock.advance(1);
    const second = await store.save({ run: testRun, step: 'gen', state: 2 });
    await storage.delete(checkpointKeys(second.id).sidecar);
    await storage.put(
      checkpointKeys(second.id).sidecar,
      await bytesAt(storage, checkpointKeys(first.id).sidecar),
    );
    const error = await rejection(store.get(second.id));
    expect(error.message).toContain(`names checkpoint "${first.id}"`);
    expect(await ids(store)).toEqual([first.id]);
  });

  it('catches a bit flip in a sidecar that still parses, by the digest the storage recorded', async () => {
    const storage = createMemoryStorage();
    const { store } = storeOver(storage);
    const saved = await store.save({ run: testRun, step: 'gen', state: 1, metrics: { f1: 0.5 } });
    const key = checkpointKeys(saved.id).sidecar;
    const yaml = (await bytesAt(storage, key)).toString('utf8');
    // "5" (0x35) → "4" (0x34) is one flipped bit: still valid YAML and schema, but not what
    // was committed.
    storage.corrupt(key, yaml.replace('f1: 0.5', 'f1: 0.4'));
    const error = await rejection(store.get(saved.id));
    expect(error.code).toBe('CORRUPT_DATA');
    expect(error.message).toContain('differ from what the storage recorded');
    expect(await ids(store)).toEqual([]);
  });

  it('skips an oversized sidecar without reading it all', async () => {
    const storage = createMemoryStorage();
    const { store } = storeOver(storage);
    const saved = await store.save({ run: testRun, step: 'gen', state: 1 });
    await storage.delete(checkpointKeys(saved.id).sidecar);
    await storage.put(checkpointKeys(saved.id).sidecar, 'x'.repeat(300 * 1024));
    const error = await rejection(store.get(saved.id));
    expect(error.message).toContain('larger than 262144 bytes');
  });

  it('ignores keys under checkpoints/ that are not checkpoint sidecars', async () => {
    const storage = createMemoryStorage();
    const { store } = storeOver(storage);
    const saved = await store.save({ run: testRun, step: 'gen', state: 1 });
    await storage.put('checkpoints/gen/notes.txt', 'x');
    await storage.put('checkpoints/gen/not-a-time/checkpoint.yaml', 'x');
    await storage.put('checkpoints/gen/20250810T143022.123Z-aaaaaa/deeper/checkpoint.yaml', 'x');
    expect(await ids(store)).toEqual([saved.id]);
  });

  it('propagates storage failures instead of hiding checkpoints', async () => {
    const storage = createMemoryStorage();
    const { store } = storeOver({
      ...storage,
      get: async () => {
        throw Object.assign(new Error('network down'));
      },
    });
    await storage.put('checkpoints/gen/20250810T143022.123Z-aaaaaa/checkpoint.yaml', 'x');
    await expect(ids(store)).rejects.toThrow('network down');
  });

  it('refuses a bad run id in a query', async () => {
    const { store } = storeOver();
    expect((await rejection(store.latest({ step: 'gen', run: 'nope' }))).code).toBe(
      'INVALID_OPTIONS',
    );
    await expect(ids(store, { run: 'nope' })).rejects.toThrow('is not a run id');
  });

  it('stops listing when the signal fires', async () => {
    const { store } = storeOver();
    await store.save({ run: testRun, step: 'gen', state: 1 });
    const controller = new AbortController();
    controller.abort();
    await expect(ids(store, { signal: controller.signal })).rejects.toMatchObject({
      code: 'ABORTED',
    });
  });
});
