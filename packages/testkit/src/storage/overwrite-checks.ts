import { createHash } from 'node:crypto';
import type { ObjectInfo, Storage } from '@cairn/kernel';
import { expect } from 'vitest';
import { readObject } from './assertions.js';
import type { StorageCheckGroup } from './check-context.js';
import { createPatternBody, patternDigest } from './pattern-body.js';

const overwriteBytes = 8 * 1024 * 1024;
const oldSeed = 11;
const newSeed = 12;

/** What one reader saw: the info get returned and the digest of the bytes it streamed. */
interface Observation {
  readonly info: ObjectInfo;
  readonly sha256: string;
}

async function finishReading(
  info: ObjectInfo,
  iterator: AsyncIterator<unknown>,
  hash = createHash('sha256'),
): Promise<Observation> {
  for (let step = await iterator.next(); !step.done; step = await iterator.next()) {
    hash.update(step.value as Buffer);
  }
  return { info, sha256: hash.digest('hex') };
}

async function observe(storage: Storage, key: string): Promise<Observation> {
  const { info, body } = await storage.get(key);
  return finishReading(info, body[Symbol.asyncIterator]());
}

/** Checks a reader saw one whole version, and that its info names that same version. */
function expectOneWholeVersion(
  observation: Observation,
  versions: ReadonlyArray<{ readonly info: ObjectInfo; readonly sha256: string }>,
  reader: string,
): void {
  const version = versions.find((candidate) => candidate.sha256 === observation.sha256);
  expect(
    version,
    `${reader}: read the whole old or the whole new content, not a mix`,
  ).toBeDefined();
  expect(observation.info.etag, `${reader}: its info names the version it streamed`).toBe(
    version?.info.etag,
  );
}

/** Overwrites replace the whole object, and readers never see half of each. */
export const overwriteChecks: StorageCheckGroup = {
  title: 'overwrites',
  checks: [
    {
      title: 'an overwrite replaces the content and changes the etag',
      async run({ storage, prefix }) {
        const key = `${prefix}replaced.txt`;
        const first = await storage.put(key, 'the first, longer version of the content');
        const second = await storage.put(key, 'second');
        expect(second.etag, 'the etag changes when the object is replaced').not.toBe(first.etag);
        expect(second.size).toBe(6);
        const current = await readObject(storage, key);
        expect(current.bytes.toString('utf8')).toBe('second');
        expect(current.info.etag).toBe(second.etag);
        expect((await storage.head(key))?.etag).toBe(second.etag);
      },
    },
    {
      title: 'readers during an overwrite of a multi-MiB object see all old or all new content',
      requires: 'atomicPut',
      async run({ storage, prefix }) {
        const key = `${prefix}swapped.bin`;
        const oldDigest = patternDigest(overwriteBytes, oldSeed);
        const newDigest = patternDigest(overwriteBytes, newSeed);
        const oldInfo = await storage.put(
          key,
          createPatternBody({ size: overwriteBytes, seed: oldSeed }).readable,
        );

        // Opened before the overwrite and finished while it runs.
        const early = await storage.get(key);
        const earlyIterator = early.body[Symbol.asyncIterator]();
        const earlyHash = createHash('sha256');
        const firstChunk = await earlyIterator.next();
        if (!firstChunk.done) earlyHash.update(firstChunk.value as Buffer);

        // Opened halfway through the new body, while the backend is still receiving it.
        let midway: Promise<Observation> | undefined;
        const replacement = createPatternBody({
          size: overwriteBytes,
          seed: newSeed,
          onChunk: (_index, bytesSoFar) => {
            if (midway === undefined && bytesSoFar >= overwriteBytes / 2) {
              midway = observe(storage, key);
              // Awaited after the put; this only keeps an early failure from being unhandled.
              midway.catch(() => undefined);
            }
          },
        });
        const putting = storage.put(key, replacement.readable);
        const earlyObservation = await finishReading(early.info, earlyIterator, earlyHash);
        const newInfo = await putting;
        expect(midway, 'a read was started while the overwrite streamed').toBeDefined();
        const midwayObservation = await (midway as Promise<Observation>);
        const after = await observe(storage, key);

        const versions = [
          { info: oldInfo, sha256: oldDigest.sha256 },
          { info: newInfo, sha256: newDigest.sha256 },
        ];
        expectOneWholeVersion(earlyObservation, versions, 'reader opened before the overwrite');
        expectOneWholeVersion(midwayObservation, versions, 'reader opened during the overwrite');
        expect(after.sha256, 'a reader after the overwrite sees the new content').toBe(
          newDigest.sha256,
        );
        expect(after.info.etag).toBe(newInfo.etag);
        await storage.delete(key);
      },
    },
  ],
};
