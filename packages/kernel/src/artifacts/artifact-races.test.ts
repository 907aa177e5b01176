import { describe, expect, it } from 'vitest';
import { CairnError } from '../errors/cairn-error.js';
import type { Clock } from '../retry/clock.js';
import { createSeededRandom } from '../retry/deterministic-random.js';
import { createMemoryStorage } from '../storage/memory-storage.js';
import type { Storage } from '../storage/storage.js';
import { recordingLogger } from '../testing/items-support.js';
import { rejection } from '../testing/rejection.js';
import { versionKey } from '../versions/version-keys.js';
import { serialiseRecord } from './artifact-json.js';
import { artifactKeys } from './artifact-layout.js';
import { createArtifactStore } from './create-artifact-store.js';

/** Real time for records, but waits of one event-loop turn: races without slow tests. */
const turnClock: Clock = {
  now: () => Date.now(),
  sleep: (_ms, signal) =>
    new Promise((resolve, reject) => {
      if (signal?.aborted) reject(signal.reason);
      else setImmediate(resolve);
    }),
};

function store(storage: Storage, seed: number) {
  return createArtifactStore({ storage, clock: turnClock, random: createSeededRandom(seed) });
}

describe('artifact loggers racing', () => {
  it('gives concurrent loggers of different content distinct versions 1…n', async () => {
    const storage = createMemoryStorage();
    const loggers = Array.from({ length: 6 }, (_, index) => store(storage, index + 1));
    const contents = loggers.flatMap((_, logger) =>
      Array.from({ length: 5 }, (_unused, round) => ({ logger, round })),
    );
    const logged = await Promise.all(
      contents.map((value) =>
        (loggers[value.logger] as ReturnType<typeof store>).log({
          name: 'dataset-x',
          type: 'dataset',
          value,
        }),
      ),
    );
    expect(logged.every((result) => result.created)).toBe(true);
    expect(logged.map((result) => result.version).sort((left, right) => left - right)).toEqual(
      Array.from({ length: 30 }, (_, index) => index + 1),
    );
    // Every version holds the content its logger was told it holds.
    const reader = store(storage, 99);
    for (const [index, result] of logged.entries()) {
      const version = await reader.get(`dataset-x:v${result.version}`);
      expect(await version.value()).toEqual(contents[index]);
      expect(version.digest).toBe(result.digest);
    }
    expect((await reader.get('dataset-x')).version).toBe(30);
  });

  it('makes one version when many loggers log identical content at once', async () => {
    const storage = createMemoryStorage();
    const results = await Promise.all(
      Array.from({ length: 12 }, (_, index) =>
        store(storage, index + 1).log({
          name: 'dataset-x',
          type: 'dataset',
          value: { same: true },
        }),
      ),
    );
    expect(new Set(results.map((result) => result.version))).toEqual(new Set([1]));
    expect(results.filter((result) => result.created)).toHaveLength(1);
    expect(await store(storage, 1).versions('dataset-x')).toHaveLength(1);
  });

  it('completes the intent of a logger that died before creating its version', async () => {
    const storage = createMemoryStorage();
    const probe = await createArtifactStore({ storage: createMemoryStorage() }).log({
      name: 'dataset-x',
      type: 'dataset',
      value: 'content',
    });
    // A dead logger's claim: version 1 was meant for this content, and never written.
    await storage.put(
      artifactKeys('dataset-x').digest(probe.digest.slice('sha256:'.length)),
      serialiseRecord({
        format: 'cairn.artifact-digest/v1',
        digest: probe.digest,
        intent: 1,
        writer: 'dead-writer',
        claimedAt: '2026-01-01T00:00:00Z',
      }),
    );
    const artifacts = store(storage, 1);
    expect(
      await artifacts.log({ name: 'dataset-x', type: 'dataset', value: 'content' }),
    ).toMatchObject({
      version: 1,
      created: true,
    });
    expect(
      await artifacts.log({ name: 'dataset-x', type: 'dataset', value: 'content' }),
    ).toMatchObject({
      version: 1,
      created: false,
    });
  });

  it('moves the intent when other content took its number, and never duplicates', async () => {
    const storage = createMemoryStorage();
    const artifacts = store(storage, 1);
    const probe = await createArtifactStore({ storage: createMemoryStorage() }).log({
      name: 'dataset-x',
      type: 'dataset',
      value: 'mine',
    });
    await storage.put(
      artifactKeys('dataset-x').digest(probe.digest.slice('sha256:'.length)),
      serialiseRecord({
        format: 'cairn.artifact-digest/v1',
        digest: probe.digest,
        intent: 1,
        writer: 'dead-writer',
        claimedAt: '2026-01-01T00:00:00Z',
      }),
    );
    // Someone else's content took version 1 (and 2) meanwhile.
    await artifacts.log({ name: 'dataset-x', type: 'dataset', value: 'theirs' });
    await artifacts.log({ name: 'dataset-x', type: 'dataset', value: 'theirs too' });
    const mine = await artifacts.log({ name: 'dataset-x', type: 'dataset', value: 'mine' });
    expect(mine).toMatchObject({ version: 3, created: true });
    expect(await (await artifacts.get('dataset-x:v3')).value()).toBe('mine');
    expect(
      (await artifacts.log({ name: 'dataset-x', type: 'dataset', value: 'mine' })).version,
    ).toBe(3);
  });

  it('gives a slow logger and a fast one of identical content one version, whatever their clocks', async () => {
    const storage = createMemoryStorage();
    let release: () => void = () => undefined;
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    let holding = true;
    // The slow logger's version write stalls (a paused process) while the fast one logs.
    const slow: Storage = {
      ...storage,
      put: async (key, body, options) => {
        if (holding && key === versionKey(artifactKeys('dataset-x').folder, 1)) {
          holding = false;
          await held;
        }
        return storage.put(key, body, options);
      },
    };
    const skewed: Clock = { now: () => Date.now() + 3 * 60_000, sleep: turnClock.sleep };
    const slowLogger = createArtifactStore({ storage: slow }).log({
      name: 'dataset-x',
      type: 'dataset',
      value: 'same',
    });
    await new Promise((resolve) => setTimeout(resolve, 20));
    const fast = await createArtifactStore({ storage, clock: skewed }).log({
      name: 'dataset-x',
      type: 'dataset',
      value: 'same',
    });
    release();
    const late = await slowLogger;
    expect([fast.version, late.version]).toEqual([1, 1]);
    expect([fast.created, late.created].sort()).toEqual([false, true]);
    expect(await store(storage, 1).versions('dataset-x')).toHaveLength(1);
  });

  it('finds its own version when the answer to its write was lost', async () => {
    const inner = createMemoryStorage();
    let lost = false;
    const storage: Storage = {
      ...inner,
      put: async (key, body, options) => {
        const info = await inner.put(key, body, options);
        if (!lost && key === versionKey(artifactKeys('dataset-x').folder, 1)) {
          lost = true;
          throw new CairnError({ code: 'TRANSIENT_IO', message: 'timed out after committing' });
        }
        return info;
      },
    };
    const logged = await store(storage, 1).log({ name: 'dataset-x', type: 'dataset', value: 'x' });
    expect(logged).toMatchObject({ version: 1, created: true });
    expect(await store(inner, 2).versions('dataset-x')).toHaveLength(1);
  });
});

describe('a logger that fails around its commit', () => {
  it('leaves a claim the next log of the same content completes at once', async () => {
    const inner = createMemoryStorage();
    let failVersion = true;
    const storage: Storage = {
      ...inner,
      put: async (key, body, options) => {
        if (failVersion && key === versionKey(artifactKeys('dataset-x').folder, 1)) {
          failVersion = false;
          throw new CairnError({ code: 'PERMANENT_IO', message: 'access denied' });
        }
        return inner.put(key, body, options);
      },
    };
    let waits = 0;
    const clock: Clock = {
      now: () => Date.now(),
      sleep: async () => {
        waits += 1;
      },
    };
    const artifacts = createArtifactStore({ storage, clock });
    const error = await rejection(
      artifacts.log({ name: 'dataset-x', type: 'dataset', value: 'x' }),
    );
    expect(error.code).toBe('PERMANENT_IO');
    const retried = await artifacts.log({ name: 'dataset-x', type: 'dataset', value: 'x' });
    expect(retried).toMatchObject({ version: 1, created: true });
    expect(waits).toBe(0);
  });
});

describe('bookkeeping after the commit', () => {
  it('logs a failure to move latest instead of failing, and the bare name still finds the newest version', async () => {
    const inner = createMemoryStorage();
    let failLatest = true;
    const storage: Storage = {
      ...inner,
      put: async (key, body, options) => {
        if (failLatest && key === artifactKeys('dataset-x').alias('latest')) {
          failLatest = false;
          throw new CairnError({ code: 'TRANSIENT_IO', message: 'the alias write timed out' });
        }
        return inner.put(key, body, options);
      },
    };
    const { logger, warnings } = recordingLogger();
    const artifacts = createArtifactStore({ storage, logger });
    expect((await artifacts.log({ name: 'dataset-x', type: 'dataset', value: 1 })).version).toBe(1);
    expect(warnings[0]?.message).toContain('writing the latest alias failed');
    expect((await artifacts.use('dataset-x')).version).toBe(1);
    expect(await artifacts.aliases('dataset-x')).toEqual([
      { name: 'dataset-x', alias: 'latest', version: 1 },
    ]);
  });

  it('writes the edges to its parents on a later log when the first log failed to', async () => {
    const inner = createMemoryStorage();
    let failChild = true;
    const storage: Storage = {
      ...inner,
      put: async (key, body, options) => {
        if (failChild && key.includes('/children/')) {
          failChild = false;
          throw new CairnError({ code: 'TRANSIENT_IO', message: 'the edge write timed out' });
        }
        return inner.put(key, body, options);
      },
    };
    const artifacts = createArtifactStore({ storage });
    await artifacts.log({ name: 'dataset-x', type: 'dataset', value: 1 });
    await artifacts.log({ name: 'model-a', type: 'model', value: 2, parents: ['dataset-x'] });
    expect(
      (await artifacts.lineage({ around: 'dataset-x:v1' })).nodes.map((node) => node.id),
    ).toEqual(['dataset-x:v1']);
    await artifacts.log({ name: 'model-a', type: 'model', value: 2, parents: ['dataset-x'] });
    expect(
      (await artifacts.lineage({ around: 'dataset-x:v1' })).nodes.map((node) => node.id),
    ).toEqual(['dataset-x:v1', 'model-a:v1']);
  });
});
