import { Readable } from 'node:stream';
import { readAll } from '@cairn/kernel';
import { expect } from 'vitest';
import { expectCairnError } from './assertions.js';
import type { StorageCheckGroup } from './check-context.js';

const objectBytes = 1000;

function numberedBytes(): Buffer {
  const bytes = Buffer.alloc(objectBytes);
  for (let index = 0; index < objectBytes; index++) bytes[index] = (index * 7 + 3) & 0xff;
  return bytes;
}

// Put in 7-byte chunks, so ranges start and end inside chunks and span several of them.
function inSmallChunks(bytes: Buffer): Readable {
  const chunks: Buffer[] = [];
  for (let offset = 0; offset < bytes.length; offset += 7)
    chunks.push(bytes.subarray(offset, offset + 7));
  return Readable.from(chunks, { objectMode: false });
}

const ranges: ReadonlyArray<{ readonly start: number; readonly end?: number }> = [
  { start: 0, end: 0 },
  { start: 0, end: 9 },
  { start: 3, end: 17 },
  { start: 500, end: 999 },
  { start: 999, end: 999 },
  { start: 998 },
  { start: 0 },
  { start: 123, end: 876 },
];

/** `get` with a range returns exactly those bytes. */
export const rangedReadChecks: StorageCheckGroup = {
  title: 'ranged reads',
  checks: [
    {
      title: 'returns exactly the requested inclusive byte ranges, open-ended ones included',
      requires: 'rangedReads',
      async run({ storage, prefix }) {
        const key = `${prefix}ranged.bin`;
        const bytes = numberedBytes();
        const stored = await storage.put(key, inSmallChunks(bytes));
        for (const range of ranges) {
          const label = `range ${range.start}-${range.end ?? ''}`;
          const { info, body } = await storage.get(key, { range });
          const received = await readAll(body);
          const expected = bytes.subarray(range.start, (range.end ?? objectBytes - 1) + 1);
          expect(received.length, `${label}: length`).toBe(expected.length);
          expect(received.equals(expected), `${label}: bytes`).toBe(true);
          expect(info.size, `${label}: info describes the whole object`).toBe(objectBytes);
          expect(info.etag, `${label}: info names the stored version`).toBe(stored.etag);
        }
      },
    },
    {
      title: 'a range starting at or past the end reads nothing and still describes the object',
      requires: 'rangedReads',
      async run({ storage, prefix }) {
        const key = `${prefix}short.bin`;
        const stored = await storage.put(key, numberedBytes());
        for (const start of [objectBytes, objectBytes + 500]) {
          const { info, body } = await storage.get(key, { range: { start } });
          expect((await readAll(body)).length, `range ${start}-: length`).toBe(0);
          expect(info.size, `range ${start}-: info describes the whole object`).toBe(objectBytes);
          expect(info.etag, `range ${start}-: info names the stored version`).toBe(stored.etag);
        }
      },
    },
    {
      title: 'refuses ranges that are not whole numbers with 0 <= start <= end (INVALID_OPTIONS)',
      requires: 'rangedReads',
      async run({ storage, prefix }) {
        const key = `${prefix}refused-ranges.bin`;
        await storage.put(key, numberedBytes());
        for (const range of [{ start: 5, end: 2 }, { start: 1.5, end: 3 }, { start: -3 }]) {
          await expectCairnError(
            storage,
            `get with range ${JSON.stringify(range)}`,
            () => storage.get(key, { range }),
            ['INVALID_OPTIONS'],
          );
        }
      },
    },
  ],
};
