import { describe, expect, it } from 'vitest';
import { isCairnError } from '../errors/cairn-error.js';
import { journalEventSchema } from '../journal/journal-events.js';
import { checkpointKeys } from '../naming/layout.js';
import { createMemoryStorage } from '../storage/memory-storage.js';
import { storeOver, testRun } from '../testing/checkpoints-fixtures.js';
import { mirrorOf } from '../testing/mirrored-storage-support.js';
import type { CheckpointStoreOptions } from './checkpoint-store-options.js';
import { createCheckpointStore } from './create-checkpoint-store.js';
import { keepLast } from './retention.js';

function creationError(options: unknown) {
  try {
    createCheckpointStore(options as CheckpointStoreOptions);
  } catch (error) {
    if (isCairnError(error)) return error;
    throw error;
  }
  throw new Error('expected createCheckpointStore to throw');
}

describe('createCheckpointStore options', () => {
  it('refuses a storage that is not one, naming the option', () => {
    const error = creationError({ storage: { name: 'x' } });
    expect(error.code).toBe('INVALID_OPTIONS');
    expect(error.message).toContain('storage: expected a Storage');
    expect(error.message).toContain('createCheckpointStore');
  });

  it('lists every bad option at once', () => {
    const error = creationError({
      storage: createMemoryStorage(),
      codecs: [{ name: 'half' }],
      timeIds: 'now',
      now: 5,
      logger: console.log,
      onEvent: 'journal',
    });
    for (const option of ['codecs.0', 'timeIds', 'now', 'logger', 'onEvent']) {
      expect(error.message).toContain(`${option}:`);
    }
  });

  it('refuses codecs that clash, when the store is made', () => {
    const codec = { name: 'json', contentType: 'x/y', encode: String, decode: String };
    expect(creationError({ storage: createMemoryStorage(), codecs: [codec] }).message).toContain(
      'replaces a built-in codec',
    );
  });

  it('works with only a storage, on the real clock and the process-wide ids', async () => {
    const store = createCheckpointStore({ storage: createMemoryStorage() });
    const before = Date.now();
    const saved = await store.save({ run: testRun, step: 'gen', state: 1 });
    expect(Date.parse(saved.createdAt)).toBeGreaterThanOrEqual(before);
    expect((await store.load({ id: saved.id })).state).toBe(1);
  });
});

describe('journal events', () => {
  it('every event the store emits is a valid journal event', async () => {
    const { mirror, copies } = mirrorOf(2);
    const { store, events } = storeOver(mirror);
    const saved = await store.save({ run: testRun, step: 'gen', state: [1], metrics: { f1: 1 } });
    await store.save({ run: testRun, step: 'gen', body: 'x' });
    copies[0]?.corrupt(checkpointKeys(saved.id).payload, 'bad');
    await store.load({ id: saved.id });
    await store.prune({ run: testRun, step: 'gen', keep: [keepLast(1)] });
    expect(events.map((event) => event.type)).toEqual([
      'checkpoint-saved',
      'checkpoint-saved',
      'storage-problem',
      'storage-problem',
      'checkpoint-loaded',
    ]);
    for (const event of events) expect(journalEventSchema.parse(event)).toEqual(event);
  });
});
