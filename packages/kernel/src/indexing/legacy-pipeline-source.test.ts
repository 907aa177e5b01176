import { describe, expect, it } from 'vitest';
import { createMemoryStorage } from '../storage/memory-storage.js';
import { loadFixtureTree, subjectOf } from '../testing/indexing-fixtures.js';
import { parseLegacyTimestamp } from './legacy-master-file.js';
import { createLegacyPipelineSource } from './legacy-pipeline-source.js';

describe('parseLegacyTimestamp', () => {
  it('reads isoformat() with and without zone, micro- and deci-seconds', () => {
    expect(parseLegacyTimestamp('2024-05-01T12:00:00.123456')).toBe('2024-05-01T12:00:00.123Z');
    expect(parseLegacyTimestamp('2024-05-01 12:30:00.5')).toBe('2024-05-01T12:30:00.500Z');
    expect(parseLegacyTimestamp('2024-05-01T12:00:00+02:00')).toBe('2024-05-01T10:00:00.000Z');
    expect(parseLegacyTimestamp('yesterday')).toBeUndefined();
  });
});

describe('createLegacyPipelineSource', () => {
  it('answers from the master entry: step, time, run, verification and the backup twin', async () => {
    const storage = await loadFixtureTree('legacy');
    const lookup = await createLegacyPipelineSource().lookup(
      subjectOf(storage, 'generate/generate_20240501_120000.pkl'),
    );
    expect(lookup).toEqual({
      status: 'found',
      answer: {
        metadata: {
          pipelineStep: 'generate',
          backupKey: 'generate/generate_20240501_120000_backup.pkl',
          legacy: {
            filePath: 'checkpoints/generate/generate_20240501_120000.pkl',
            timestamp: '2024-05-01T12:00:00.123456',
            runId: 'run_20240501_115500',
            backupPath: 'checkpoints/generate/generate_20240501_120000_backup.pkl',
            fileSizeBytes: expect.any(Number),
          },
          verificationPassed: true,
        },
        metrics: {},
        tags: ['legacy-pipeline', 'verified'],
        run: {
          id: 'run_20240501_115500',
          name: 'run_20240501_115500',
          group: 'legacy',
          createdAt: '2024-05-01T12:00:00.123Z',
        },
        createdAt: '2024-05-01T12:00:00.123Z',
        origin: 'checkpoint_metadata.json',
      },
    });
  });

  it('tags a failed verification', async () => {
    const storage = await loadFixtureTree('legacy');
    const lookup = await createLegacyPipelineSource().lookup(
      subjectOf(storage, 'compress/compress_20240501_123000.pkl'),
    );
    expect(lookup).toMatchObject({
      status: 'found',
      answer: {
        tags: ['legacy-pipeline', 'verification-failed'],
        metadata: { verificationPassed: false, pipelineStep: 'compress' },
        createdAt: '2024-05-01T12:30:00.500Z',
      },
    });
  });

  it('gives a .pkl the master file does not list its step and time from its name', async () => {
    const storage = await loadFixtureTree('legacy');
    const lookup = await createLegacyPipelineSource().lookup(
      subjectOf(storage, 'compress/compress_20240501_140000.pkl'),
    );
    expect(lookup).toEqual({
      status: 'found',
      answer: {
        metadata: { pipelineStep: 'compress' },
        metrics: {},
        tags: ['legacy-pipeline', 'not-in-master-file'],
        createdAt: '2024-05-01T14:00:00.000Z',
        origin: 'compress/compress_20240501_140000.pkl',
      },
    });
  });

  it('is unusable for an entry whose file is missing, naming the master file', async () => {
    const storage = await loadFixtureTree('legacy');
    const lookup = await createLegacyPipelineSource().lookup(
      subjectOf(storage, 'generate/generate_20240501_130000.pkl'),
    );
    expect(lookup.status === 'unusable' && lookup.reason).toMatch(
      /"checkpoint_metadata\.json" lists ".*generate_20240501_130000\.pkl" but there is no object/,
    );
  });

  it('is not-found for backup twins, other files and unrelated pickles', async () => {
    const storage = await loadFixtureTree('legacy');
    await storage.put('other/notes.pkl', 'x');
    const source = createLegacyPipelineSource();
    for (const key of [
      'generate/generate_20240501_120000_backup.pkl',
      'checkpoint_metadata.json',
      'other/notes.pkl',
    ]) {
      expect((await source.lookup(subjectOf(storage, key))).status, key).toBe('not-found');
    }
  });

  it('is unusable when the master file is malformed', async () => {
    const storage = await loadFixtureTree('legacy');
    await storage.put('checkpoint_metadata.json', '{"checkpoints": {"generate": {}}}');
    const lookup = await createLegacyPipelineSource().lookup(
      subjectOf(storage, 'generate/generate_20240501_120000.pkl'),
    );
    expect(lookup.status === 'unusable' && lookup.reason).toMatch(
      /"checkpoint_metadata\.json" cannot be parsed: "checkpoints\.generate" is not a list/,
    );
  });

  it('answers a step folder without a master file from names alone', async () => {
    const storage = createMemoryStorage();
    await storage.put('evaluate/evaluate_20240502_080000.pkl', 'x');
    const lookup = await createLegacyPipelineSource().lookup(
      subjectOf(storage, 'evaluate/evaluate_20240502_080000.pkl'),
    );
    expect(lookup).toMatchObject({
      status: 'found',
      answer: { metadata: { pipelineStep: 'evaluate' }, createdAt: '2024-05-02T08:00:00.000Z' },
    });
  });
});
