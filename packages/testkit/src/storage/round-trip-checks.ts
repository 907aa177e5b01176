import { Readable } from 'node:stream';
import { expect } from 'vitest';
import { expectRoundTrip, readObject } from './assertions.js';
import type { StorageCheckGroup } from './check-context.js';

const multiByteText = 'Grüße, 世界! 🙂 — naïve café ～ done\n';

function allByteValues(): Buffer {
  const bytes = Buffer.alloc(512);
  for (let index = 0; index < 256; index++) {
    bytes[index] = index;
    bytes[511 - index] = index;
  }
  return bytes;
}

// Uneven chunk sizes, so a backend that assumes equal chunks or drops a short last one fails.
function splitUnevenly(bytes: Buffer): Buffer[] {
  const chunks: Buffer[] = [];
  let offset = 0;
  for (let size = 1; offset < bytes.length; size = (size * 3) % 97 || 1) {
    chunks.push(bytes.subarray(offset, offset + size));
    offset += size;
  }
  return chunks;
}

/** Every kind of body round trips byte for byte, and put, head and get describe it alike. */
export const roundTripChecks: StorageCheckGroup = {
  title: 'round trips',
  checks: [
    {
      title: 'stores and returns an empty object',
      async run({ storage, prefix }) {
        await expectRoundTrip(storage, `${prefix}empty`, new Uint8Array(0), new Uint8Array(0));
        await expectRoundTrip(storage, `${prefix}empty-string`, '', new Uint8Array(0));
      },
    },
    {
      title: 'stores a string as UTF-8, multi-byte characters included',
      async run({ storage, prefix }) {
        const expected = Buffer.from(multiByteText, 'utf8');
        expect(expected.length).toBeGreaterThan(multiByteText.length);
        await expectRoundTrip(storage, `${prefix}text.txt`, multiByteText, expected);
      },
    },
    {
      title: 'stores binary bytes of all 256 values',
      async run({ storage, prefix }) {
        const bytes = allByteValues();
        await expectRoundTrip(storage, `${prefix}binary.bin`, bytes, bytes);
      },
    },
    {
      title: 'stores a plain Uint8Array (not a Buffer)',
      async run({ storage, prefix }) {
        const bytes = new Uint8Array(allByteValues());
        expect(Buffer.isBuffer(bytes)).toBe(false);
        await expectRoundTrip(storage, `${prefix}uint8array.bin`, bytes, bytes);
      },
    },
    {
      title: 'stores a Node Readable of several chunks',
      async run({ storage, prefix }) {
        const bytes = Buffer.concat([allByteValues(), Buffer.from(multiByteText)]);
        const body = Readable.from(splitUnevenly(bytes), { objectMode: false });
        await expectRoundTrip(storage, `${prefix}node-readable.bin`, body, bytes);
      },
    },
    {
      title: 'stores a web ReadableStream of several chunks',
      async run({ storage, prefix }) {
        const bytes = Buffer.concat([Buffer.from(multiByteText), allByteValues()]);
        const chunks = splitUnevenly(bytes).map((chunk) => new Uint8Array(chunk));
        const body = new ReadableStream<Uint8Array>({
          pull(controller) {
            const next = chunks.shift();
            if (next === undefined) controller.close();
            else controller.enqueue(next);
          },
        });
        await expectRoundTrip(storage, `${prefix}web-stream.bin`, body, bytes);
      },
    },
    {
      title: 'stores an async iterable of chunks',
      async run({ storage, prefix }) {
        const bytes = Buffer.concat([allByteValues(), allByteValues()]);
        const chunks = splitUnevenly(bytes);
        const body: AsyncIterable<Uint8Array> = {
          async *[Symbol.asyncIterator]() {
            for (const chunk of chunks) {
              // A turn of the event loop between chunks, as a network source would take.
              await new Promise((resolve) => setImmediate(resolve));
              yield new Uint8Array(chunk);
            }
          },
        };
        await expectRoundTrip(storage, `${prefix}async-iterable.bin`, body, bytes);
      },
    },
    {
      title: 'keeps content type and metadata, when it keeps them, identically in head and get',
      async run({ storage, prefix }) {
        const key = `${prefix}described.json`;
        const contentType = 'application/json; charset=utf-8';
        const metadata = { 'run-id': 'run-42', step: 'evaluate', 'cairn-kind': 'checkpoint' };
        const bytes = Buffer.from('{"epoch":3}');
        await expectRoundTrip(storage, key, bytes, bytes, { contentType, metadata });
        const headed = await storage.head(key);
        const { info } = await readObject(storage, key);
        // A backend may not keep them at all; one that returns them must return them intact.
        if (headed?.contentType !== undefined) expect(headed.contentType).toBe(contentType);
        if (headed?.metadata !== undefined) expect(headed.metadata).toEqual(metadata);
        expect(info.contentType, 'get reports the content type head reports').toBe(
          headed?.contentType,
        );
        expect(info.metadata, 'get reports the metadata head reports').toEqual(headed?.metadata);
      },
    },
  ],
};
