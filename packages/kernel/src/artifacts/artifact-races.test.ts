import { describe, expect, it } from 'vitest';
import { CairnError } from '../errors/cairn-error.js';
import type { Clock } from '../retry/clock.js';
import { createSeededRandom } from '../retry/deterministic-random.js';
import { createMemoryStorage } from '../storage/memory-storage.js';
import type { Storage } from '../storage/storage.js';
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

  it('takes over the claim of a logger that died before creating its version', async () => {
    const storage = createMemoryStorage();
    const clock = { ...turnClock, now: () => Date.parse('2026-01-01T00:10:00Z') };
    const artifacts = createArtifactStore({ storage, clock, claimTimeoutMs: 60_000 });
    // Learn the digest the content gets, then fake a dead logger's claim on it.
    const probe = await createArtifactStore({ storage: createMemoryStorage() }).log({
      name: 'dataset-x',
      type: 'dataset',
      value: 'content',
    });
    const hex = probe.digest.slice('sha256:'.length);
    await storage.put(
      artifactKeys('dataset-x').digest(hex),
      serialiseRecord({
        format: 'cairn.artifact-digest/v1',
        digest: probe.digest,
        writer: 'dead-writer',
        claimedAt: '2026-01-01T00:00:00Z',
      }),
    );
    const logged = await artifacts.log({ name: 'dataset-x', type: 'dataset', value: 'content' });
    expect(logged).toMatchObject({ version: 1, created: true });
    expect(
      await artifacts.log({ name: 'dataset-x', type: 'dataset', value: 'content' }),
    ).toMatchObject({
      version: 1,
      created: false,
    });
  });

  it('settles the claim of a logger that died after creating its version instead of making another', async () => {
    const storage = createMemoryStorage();
    const first = createArtifactStore({ storage });
    const logged = await first.log({ name: 'dataset-x', type: 'dataset', value: 'content' });
    // Rewind the claim to unsettled, as if its logger had died right after creating v1.
    const hex = logged.digest.slice('sha256:'.length);
    await storage.put(
      artifactKeys('dataset-x').digest(hex),
      serialiseRecord({
        format: 'cairn.artifact-digest/v1',
        digest: logged.digest,
        writer: logged.record.writer,
        claimedAt: '2000-01-01T00:00:00Z',
      }),
    );
    const again = await createArtifactStore({ storage, claimTimeoutMs: 1000 }).log({
      name: 'dataset-x',
      type: 'dataset',
      value: 'content',
    });
    expect(again).toMatchObject({ version: 1, created: false });
    expect(await first.versions('dataset-x')).toHaveLength(1);
  });

  it('waits for a live logger’s unsettled claim rather than duplicating its content', async () => {
    const storage = createMemoryStorage();
    let releaseVersion: () => void = () => undefined;
    const versionHeld = new Promise<void>((resolve) => {
      releaseVersion = resolve;
    });
    let holding = true;
    // The first logger's version record is delayed until the second logger has had to wait.
    const slow: Storage = {
      ...storage,
      put: async (key, body, options) => {
        if (holding && key === versionKey(artifactKeys('dataset-x').folder, 1)) {
          holding = false;
          await versionHeld;
        }
        return storage.put(key, body, options);
      },
    };
    let waits = 0;
    const counting: Clock = {
      now: () => Date.now(),
      sleep: async () => {
        waits += 1;
        if (waits === 3) releaseVersion();
        await new Promise((resolve) => setImmediate(resolve));
      },
    };
    const slowLogger = createArtifactStore({ storage: slow }).log({
      name: 'dataset-x',
      type: 'dataset',
      value: 'content',
    });
    await new Promise((resolve) => setTimeout(resolve, 20));
    const waiting = createArtifactStore({ storage, clock: counting }).log({
      name: 'dataset-x',
      type: 'dataset',
      value: 'content',
    });
    const [first, second] = await Promise.all([slowLogger, waiting]);
    expect(first).toMatchObject({ version: 1, created: true });
    expect(second).toMatchObject({ version: 1, created: false });
    expect(waits).toBeGreaterThanOrEqual(3);
  });
});

describe('a logger that fails after claiming its content', () => {
  it('releases the claim, so logging the same content again does not wait for the claim timeout', async () => {
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
