import { describe, expect, it } from 'vitest';
import type { Clock } from '../retry/clock.js';
import { createSeededRandom } from '../retry/deterministic-random.js';
import { createMemoryStorage } from '../storage/memory-storage.js';
import { rejection } from '../testing/rejection.js';
import { createArtifactStore } from './create-artifact-store.js';

const turnClock: Clock = {
  now: () => Date.now(),
  sleep: () => new Promise((resolve) => setImmediate(resolve)),
};

describe('artifact aliases', () => {
  it('points an alias at a version, moves it, and refuses latest and version-like names', async () => {
    const artifacts = createArtifactStore({ storage: createMemoryStorage() });
    await artifacts.log({ name: 'model-a', type: 'model', value: 1 });
    await artifacts.log({ name: 'model-a', type: 'model', value: 2, aliases: ['candidate'] });
    expect(await artifacts.setAlias('model-a:v1', 'production')).toEqual({
      moved: true,
      previous: undefined,
    });
    expect((await artifacts.use('model-a:production')).version).toBe(1);
    expect(await artifacts.setAlias('model-a:candidate', 'production')).toEqual({
      moved: true,
      previous: 1,
    });
    expect(await artifacts.setAlias('model-a:v2', 'production')).toEqual({
      moved: false,
      previous: 2,
    });
    expect(await artifacts.aliases('model-a')).toEqual([
      { name: 'model-a', alias: 'candidate', version: 2 },
      { name: 'model-a', alias: 'latest', version: 2 },
      { name: 'model-a', alias: 'production', version: 2 },
    ]);
    expect((await rejection(artifacts.setAlias('model-a:v1', 'latest'))).message).toContain(
      'moves by itself',
    );
    expect((await rejection(artifacts.setAlias('model-a:v1', 'v3'))).message).toContain(
      'reads as a version',
    );
    expect((await rejection(artifacts.setAlias('model-a:v7', 'best'))).code).toBe('NOT_FOUND');
  });

  it('keeps latest on the newest version whatever order loggers finish in', async () => {
    const storage = createMemoryStorage();
    await Promise.all(
      Array.from({ length: 10 }, (_, index) =>
        createArtifactStore({
          storage,
          clock: turnClock,
          random: createSeededRandom(index + 1),
        }).log({
          name: 'dataset-x',
          type: 'dataset',
          value: index,
        }),
      ),
    );
    const artifacts = createArtifactStore({ storage });
    expect((await artifacts.get('dataset-x:latest')).version).toBe(10);
  });

  it('moves best only to a better version, however many writers race to move it', async () => {
    const storage = createMemoryStorage();
    const setup = createArtifactStore({ storage });
    const scores = [0.61, 0.93, 0.72, 0.88, 0.5, 0.97, 0.9, 0.66, 0.81, 0.95, 0.7, 0.92];
    for (const [index, accuracy] of scores.entries()) {
      await setup.log({ name: 'model-a', type: 'model', value: index, metadata: { accuracy } });
    }
    const moves = await Promise.all(
      scores.map((_, index) =>
        createArtifactStore({
          storage,
          clock: turnClock,
          random: createSeededRandom(index + 7),
        }).setAlias(`model-a:v${index + 1}`, 'best', {
          better: { metric: 'accuracy', mode: 'max' },
        }),
      ),
    );
    const best = await setup.get('model-a:best');
    expect(best.metadata.accuracy).toBe(0.97);
    expect(best.version).toBe(6);
    // The last successful move put best where it is now; no move was lost.
    expect(moves.some((move) => move.moved)).toBe(true);
    expect(moves[5]?.moved).toBe(true);
    // A worse version never takes best afterwards, and a lower-is-better alias works the other way.
    expect(
      (await setup.setAlias('model-a:v1', 'best', { better: { metric: 'accuracy', mode: 'max' } }))
        .moved,
    ).toBe(false);
    await setup.setAlias('model-a:v3', 'worst', { better: { metric: 'accuracy', mode: 'min' } });
    expect(
      (await setup.setAlias('model-a:v5', 'worst', { better: { metric: 'accuracy', mode: 'min' } }))
        .moved,
    ).toBe(true);
    const missing = await rejection(
      setup.setAlias('model-a:v1', 'best', { better: { metric: 'loss', mode: 'min' } }),
    );
    expect(missing.message).toContain('has no numeric metadata "loss"');
  });

  it('adds metadata by compare-and-swap, keeping every concurrent addition', async () => {
    const storage = createMemoryStorage();
    const setup = createArtifactStore({ storage });
    await setup.log({
      name: 'eval-a-on-b',
      type: 'evaluation',
      value: 1,
      metadata: { split: 'test' },
    });
    await Promise.all(
      Array.from({ length: 10 }, (_, index) =>
        createArtifactStore({
          storage,
          clock: turnClock,
          random: createSeededRandom(index + 1),
        }).addMetadata('eval-a-on-b', { [`metric${index}`]: index }),
      ),
    );
    const { metadata } = await setup.get('eval-a-on-b:v1');
    expect(metadata).toEqual({
      split: 'test',
      ...Object.fromEntries(Array.from({ length: 10 }, (_, index) => [`metric${index}`, index])),
    });
    expect((await rejection(setup.addMetadata('eval-a-on-b', { bad: () => 1 }))).message).toContain(
      'metadata.bad is a function',
    );
  });
});
