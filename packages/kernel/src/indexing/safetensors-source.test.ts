import { describe, expect, it } from 'vitest';
import { createMemoryStorage } from '../storage/memory-storage.js';
import type { GetOptions, Storage } from '../storage/storage.js';
import { loadFixtureTree, subjectOf } from '../testing/indexing-fixtures.js';
import { createSafetensorsSource } from './safetensors-source.js';

/** Records the ranges read, to show the tensors are never read. */
function recordingRanges(storage: Storage) {
  const reads: (GetOptions['range'] | 'whole')[] = [];
  const wrapped: Storage = {
    ...storage,
    get: (key, options) => {
      reads.push(options?.range ?? 'whole');
      return storage.get(key, options);
    },
  };
  return { storage: wrapped, reads };
}

const expectedModel = {
  status: 'found',
  answer: {
    metadata: {
      format: 'pt',
      epoch: '3',
      global_step: '1200',
      dataset: 'wikitext-2',
      safetensors: {
        tensorCount: 4,
        dtypes: { F32: 1, F16: 2, I64: 1 },
        // 16*8 + 4*8 + 4 + 16
        parameterCount: 180,
        headerBytes: expect.any(Number),
      },
    },
    metrics: {},
    tags: ['safetensors'],
    epoch: 3,
    trainingStep: 1200,
    origin: 'model.safetensors',
  },
};

describe('createSafetensorsSource', () => {
  it('summarises the header with two ranged reads that stop at its end', async () => {
    const { storage, reads } = recordingRanges(await loadFixtureTree('safetensors'));
    const lookup = await createSafetensorsSource().lookup(subjectOf(storage, 'model.safetensors'));
    expect(lookup).toEqual(expectedModel);
    const headerBytes = lookup.status === 'found' ? lookup.answer.metadata.safetensors : undefined;
    const length = (headerBytes as { headerBytes: number }).headerBytes;
    expect(reads).toEqual([
      { start: 0, end: 7 },
      { start: 8, end: 8 + length - 1 },
    ]);
  });

  it('reads from one stream without ranged reads', async () => {
    const memory = await loadFixtureTree('safetensors');
    const plain: Storage = {
      ...memory,
      capabilities: { ...memory.capabilities, rangedReads: false },
    };
    const { storage, reads } = recordingRanges(plain);
    const lookup = await createSafetensorsSource().lookup(subjectOf(storage, 'model.safetensors'));
    expect(lookup).toEqual(expectedModel);
    expect(reads).toEqual(['whole']);
  });

  it('is unusable for a truncated header and a header length past the end', async () => {
    const storage = await loadFixtureTree('safetensors');
    const source = createSafetensorsSource();
    const truncated = await source.lookup(subjectOf(storage, 'truncated-header.safetensors'));
    expect(truncated.status === 'unusable' && truncated.reason).toMatch(
      /"truncated-header\.safetensors" has a header that is not valid JSON/,
    );
    const pastEnd = await source.lookup(subjectOf(storage, 'header-past-end.safetensors'));
    expect(pastEnd.status === 'unusable' && pastEnd.reason).toMatch(
      /"header-past-end\.safetensors" declares a 4096-byte header, which runs past the end/,
    );
  });

  it('refuses a header length over 100 MiB without reading it', async () => {
    const storage = createMemoryStorage();
    const bytes = Buffer.alloc(16);
    bytes.writeBigUInt64LE(200n * 1024n * 1024n, 0);
    await storage.put('huge.safetensors', bytes);
    const lookup = await createSafetensorsSource().lookup(subjectOf(storage, 'huge.safetensors'));
    expect(lookup.status === 'unusable' && lookup.reason).toMatch(
      /more than the 104857600 allowed/,
    );
  });

  it('is unusable for a file shorter than 8 bytes and not-found for other files', async () => {
    const storage = createMemoryStorage();
    await storage.put('short.safetensors', 'abc');
    const source = createSafetensorsSource();
    expect((await source.lookup(subjectOf(storage, 'short.safetensors'))).status).toBe('unusable');
    expect((await source.lookup(subjectOf(storage, 'model.pt'))).status).toBe('not-found');
    expect((await source.lookup(subjectOf(storage, 'gone.safetensors'))).status).toBe('not-found');
  });
});
