import { expect } from 'vitest';
import { collectKeys, readText } from './assertions.js';
import type { StorageCheckGroup } from './check-context.js';

const writers = 50;

function contentOf(index: number): string {
  return `writer ${index}: ${'payload '.repeat(index * 40 + 1)}`;
}

// Chunks arrive over several turns of the event loop, so the 50 puts are truly interleaved.
async function* trickle(text: string): AsyncGenerator<Uint8Array> {
  const bytes = Buffer.from(text);
  const step = Math.max(1, Math.ceil(bytes.length / 4));
  for (let offset = 0; offset < bytes.length; offset += step) {
    await new Promise((resolve) => setImmediate(resolve));
    yield bytes.subarray(offset, offset + step);
  }
}

/** Writers to different keys never disturb each other. */
export const concurrencyChecks: StorageCheckGroup = {
  title: 'concurrency',
  checks: [
    {
      title: `${writers} parallel puts to different keys all land with their own content`,
      async run({ storage, prefix }) {
        const keys = Array.from(
          { length: writers },
          (_, index) => `${prefix}parallel/${index.toString().padStart(2, '0')}`,
        );
        const infos = await Promise.all(
          keys.map((key, index) => storage.put(key, trickle(contentOf(index)))),
        );
        expect(await collectKeys(storage.list({ prefix }))).toEqual(keys);
        for (const [index, key] of keys.entries()) {
          expect(await readText(storage, key), `${key}: content`).toBe(contentOf(index));
          expect((await storage.head(key))?.etag, `${key}: etag`).toBe(infos[index]?.etag);
        }
      },
    },
  ],
};
