import { createHash } from 'node:crypto';
import { expect } from 'vitest';
import type { CheckContext, StorageCheckGroup } from './check-context.js';
import { formatMebibytes, type MemoryGrowth, MemoryProbe } from './memory-probe.js';
import { createPatternBody, patternChunkBytes } from './pattern-body.js';

const sampleEveryBytes = 4 * 1024 * 1024;

function expectGrowthBelow(
  growth: MemoryGrowth,
  limit: number,
  phase: string,
  context: CheckContext,
): void {
  const summary =
    `${phase} of ${formatMebibytes(context.largeObjectBytes)}: RSS grew ` +
    `${formatMebibytes(growth.rssBytes)}, heap and buffers grew ${formatMebibytes(growth.heapBytes)} ` +
    `(limit ${formatMebibytes(limit)}, ${growth.samples} samples` +
    `${MemoryProbe.collectsGarbage ? ', live memory' : ', without forced garbage collection'})`;
  context.note(summary);
  expect(growth.samples, `${phase}: memory was sampled while streaming`).toBeGreaterThan(1);
  expect(growth.heapBytes, `${summary}: heap and buffers stay below the limit`).toBeLessThan(limit);
  expect(growth.rssBytes, `${summary}: RSS stays below the limit`).toBeLessThan(limit);
}

/**
 * Streams a large object through put and get while watching memory. The test never holds the
 * object: it is generated as the backend reads it and hashed as it comes back.
 */
async function streamLargeObject(context: CheckContext): Promise<void> {
  const { storage, prefix, largeObjectBytes, memoryHeadroomBytes, storesInMemory } = context;
  const key = `${prefix}large.bin`;
  const chunksPerSample = Math.max(1, Math.floor(sampleEveryBytes / patternChunkBytes));
  // A memory backend must keep the object once, so its put may grow by the object's size; a
  // read must never copy it, whatever the backend.
  const putLimit = storesInMemory ? largeObjectBytes + memoryHeadroomBytes : memoryHeadroomBytes;
  const getLimit = memoryHeadroomBytes;
  try {
    const putProbe = await MemoryProbe.start();
    const body = createPatternBody({
      size: largeObjectBytes,
      seed: 100,
      onChunk: (index) => {
        if (index % chunksPerSample === 0) putProbe.sample();
      },
    });
    const stored = await storage.put(key, body.readable);
    putProbe.sample();
    const expected = body.digest();
    expect(stored.size, 'put reports the full size').toBe(largeObjectBytes);
    if (storage.capabilities.sha256) expect(stored.sha256, 'put sha256').toBe(expected.sha256);
    expectGrowthBelow(putProbe.growth, putLimit, 'put', context);

    const getProbe = await MemoryProbe.start();
    const { info, body: stream } = await storage.get(key);
    expect(info.size, 'get reports the full size').toBe(largeObjectBytes);
    const hash = createHash('sha256');
    let received = 0;
    let sinceSample = 0;
    for await (const chunk of stream) {
      const bytes = chunk as Buffer;
      hash.update(bytes);
      received += bytes.length;
      sinceSample += bytes.length;
      if (sinceSample >= sampleEveryBytes) {
        getProbe.sample();
        sinceSample = 0;
      }
    }
    getProbe.sample();
    expect(received, 'get returns every byte').toBe(largeObjectBytes);
    expect(hash.digest('hex'), 'get returns the bytes put, in order').toBe(expected.sha256);
    expectGrowthBelow(getProbe.growth, getLimit, 'get', context);
  } finally {
    // Frees the object for the checks that follow; a failure here would hide the real one.
    await storage.delete(key).catch(() => undefined);
  }
}

/** Large objects stream through with flat memory. */
export const largeObjectChecks: StorageCheckGroup = {
  title: 'large objects',
  checks: [
    {
      title: 'streams a large object through put and get with flat memory, verified by digest',
      run: streamLargeObject,
    },
  ],
};
