import { type CairnErrorCode, isCairnError, type ObjectInfo, type Storage } from '@cairn/kernel';
import { expect } from 'vitest';
import {
  describeError,
  expectAbsent,
  expectCairnError,
  expectUnchanged,
  readText,
} from './assertions.js';
import type { StorageCheckGroup } from './check-context.js';

// S3 may answer 409 to the losers of simultaneous conditional writes; CONFLICT says "try
// again", and the retry then meets PRECONDITION_FAILED. Either way the loser wrote nothing.
const losingCodes: readonly CairnErrorCode[] = ['PRECONDITION_FAILED', 'CONFLICT'];

/**
 * A body that arrives over several turns of the event loop, so racing puts overlap instead of
 * finishing one after another.
 */
function slowBody(text: string): AsyncIterable<Uint8Array> {
  const bytes = Buffer.from(text, 'utf8');
  return {
    async *[Symbol.asyncIterator]() {
      const third = Math.ceil(bytes.length / 3);
      for (let offset = 0; offset < bytes.length; offset += third) {
        await new Promise((resolve) => setImmediate(resolve));
        yield bytes.subarray(offset, offset + third);
      }
    },
  };
}

/**
 * Starts `count` puts at once and checks exactly one wins, the rest lose with a precondition
 * error, and the stored object is the winner's.
 */
async function race(
  storage: Storage,
  key: string,
  count: number,
  options: { ifNoneMatch?: '*'; ifMatch?: string },
): Promise<void> {
  const contents = Array.from({ length: count }, (_, index) =>
    `writer ${index} of ${count} was here `.repeat(index + 3),
  );
  const outcomes = await Promise.allSettled(
    contents.map((content) => storage.put(key, slowBody(content), options)),
  );
  const winners = outcomes.flatMap((outcome, index) =>
    outcome.status === 'fulfilled' ? [{ index, info: outcome.value }] : [],
  );
  expect(winners.length, `exactly one of ${count} racing writers wins`).toBe(1);
  for (const outcome of outcomes) {
    if (outcome.status === 'rejected' && !isCairnError(outcome.reason, ...losingCodes)) {
      expect.fail(
        `a losing writer must fail with PRECONDITION_FAILED or CONFLICT, got ${describeError(outcome.reason)}`,
      );
    }
  }
  const winner = winners[0] as { index: number; info: ObjectInfo };
  expect(await readText(storage, key), "the stored content is the winner's").toBe(
    contents[winner.index],
  );
  expect((await storage.head(key))?.etag, "the stored etag is the winner's").toBe(winner.info.etag);
}

/** `ifNoneMatch` and `ifMatch` hold atomically, even under racing writers. */
export const conditionalWriteChecks: StorageCheckGroup = {
  title: 'conditional writes',
  checks: [
    {
      title: "ifNoneMatch '*' creates an absent object",
      requires: 'conditionalWrites',
      async run({ storage, prefix }) {
        const key = `${prefix}created.txt`;
        const info = await storage.put(key, 'created', { ifNoneMatch: '*' });
        expect(await readText(storage, key)).toBe('created');
        expect((await storage.head(key))?.etag).toBe(info.etag);
      },
    },
    {
      title:
        "ifNoneMatch '*' on an existing object fails with PRECONDITION_FAILED and changes nothing",
      requires: 'conditionalWrites',
      async run({ storage, prefix }) {
        const key = `${prefix}exists.txt`;
        const original = await storage.put(key, 'original');
        await expectCairnError(
          storage,
          "ifNoneMatch '*' on an existing object",
          () => storage.put(key, 'intruder', { ifNoneMatch: '*' }),
          ['PRECONDITION_FAILED'],
        );
        await expectUnchanged(
          storage,
          key,
          Buffer.from('original'),
          original.etag,
          'after the refused create',
        );
      },
    },
    {
      title: 'ifMatch with the current etag replaces the object',
      requires: 'conditionalWrites',
      async run({ storage, prefix }) {
        const key = `${prefix}swap.txt`;
        const first = await storage.put(key, 'version 1');
        const second = await storage.put(key, 'version 2', { ifMatch: first.etag });
        expect(second.etag).not.toBe(first.etag);
        expect(await readText(storage, key)).toBe('version 2');
        const third = await storage.put(key, 'version 3', { ifMatch: second.etag });
        expect(await readText(storage, key)).toBe('version 3');
        expect((await storage.head(key))?.etag).toBe(third.etag);
      },
    },
    {
      title: 'ifMatch with a stale etag fails with PRECONDITION_FAILED and changes nothing',
      requires: 'conditionalWrites',
      async run({ storage, prefix }) {
        const key = `${prefix}stale.txt`;
        const first = await storage.put(key, 'version 1');
        const second = await storage.put(key, 'version 2');
        await expectCairnError(
          storage,
          'ifMatch with a stale etag',
          () => storage.put(key, 'lost update', { ifMatch: first.etag }),
          ['PRECONDITION_FAILED'],
        );
        await expectUnchanged(
          storage,
          key,
          Buffer.from('version 2'),
          second.etag,
          'after the refused replace',
        );
      },
    },
    {
      title: 'ifMatch on a missing object fails with PRECONDITION_FAILED and creates nothing',
      requires: 'conditionalWrites',
      async run({ storage, prefix }) {
        const key = `${prefix}missing.txt`;
        const elsewhere = await storage.put(`${prefix}other.txt`, 'some other object');
        await expectCairnError(
          storage,
          'ifMatch on a missing object',
          () => storage.put(key, 'ghost', { ifMatch: elsewhere.etag }),
          ['PRECONDITION_FAILED'],
        );
        await expectAbsent(storage, key, 'after the refused replace');
      },
    },
    {
      title: "two racing creates with ifNoneMatch '*': exactly one wins",
      requires: 'conditionalWrites',
      async run({ storage, prefix }) {
        await race(storage, `${prefix}contested-by-2`, 2, { ifNoneMatch: '*' });
      },
    },
    {
      title: "ten racing creates with ifNoneMatch '*': exactly one wins",
      requires: 'conditionalWrites',
      async run({ storage, prefix }) {
        await race(storage, `${prefix}contested-by-10`, 10, { ifNoneMatch: '*' });
      },
    },
    {
      title: 'ten racing updates with ifMatch from the same etag: exactly one wins',
      requires: 'conditionalWrites',
      async run({ storage, prefix }) {
        const key = `${prefix}pointer`;
        const base = await storage.put(key, 'base');
        await race(storage, key, 10, { ifMatch: base.etag });
      },
    },
  ],
};
