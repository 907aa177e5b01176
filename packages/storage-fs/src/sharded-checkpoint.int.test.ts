import { createHash } from 'node:crypto';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runShardWriters, type ShardWriterAssignment, shardBytes } from '@cairn/testkit';
import { describe, expect, it } from 'vitest';
import { createFsStorage } from './index.js';
import type { ShardStorageDescription } from './testing/shard-writer-child.js';
import { temporaryRoot } from './testing/temporary-root.js';

// Four real processes, one per rank, each save their shard of one checkpoint on one root. The
// harness is @cairn/testkit's, so storage-s3 runs the same test on a bucket.

const packageDirectory = join(dirname(fileURLToPath(import.meta.url)), '..');
const childScript = join(packageDirectory, 'src', 'testing', 'shard-writer-child.ts');
const run = 'train/20250810T143022.123Z-k3f9a2';
const worldSize = 4;
// Four Node processes booting tsx on a small, busy machine take a while: a generous limit, not
// a timing assertion.
const processTestTimeoutMs = 300_000;

function writerCommand(description: ShardStorageDescription) {
  return (assignment: ShardWriterAssignment) => ({
    command: process.execPath,
    args: [
      '--conditions=source',
      '--import',
      'tsx',
      childScript,
      JSON.stringify(description),
      JSON.stringify(assignment),
    ],
    cwd: packageDirectory,
  });
}

async function runRanks(name: string, skipRank?: number) {
  const root = await temporaryRoot();
  return runShardWriters({
    storage: createFsStorage({ root }),
    run,
    name,
    worldSize,
    ...(skipRank === undefined ? {} : { skipRank }),
    startWriter: writerCommand({ root }),
  });
}

function sha256(bytes: Buffer): string {
  return createHash('sha256').update(bytes).digest('hex');
}

describe('a checkpoint written in shards by four processes', () => {
  it(
    'commits once all four shards are stored, and every shard loads verified',
    async () => {
      const outcome = await runRanks('step-1000');
      expect(outcome.ids).toHaveLength(1);
      const [id] = outcome.ids;
      expect(outcome.reports.map((report) => report.skipped)).toEqual([false, false, false, false]);
      expect(outcome.reports.some((report) => !report.skipped && report.committed)).toBe(true);

      const record = outcome.committed;
      expect(record?.id).toBe(id);
      expect(record?.sharding?.worldSize).toBe(worldSize);
      // A sharded checkpoint keeps rank 0's labels.
      expect(record?.metrics).toEqual({ loss: 0.25, rank: 0 });
      expect(outcome.listed.map((entry) => entry.id)).toEqual([id]);
      expect(outcome.latest?.id).toBe(id);
      expect(outcome.shards.map((shard) => shard.rank)).toEqual([0, 1, 2, 3]);
      for (const shard of outcome.shards) {
        const expected = shardBytes(shard.rank);
        expect(shard.bytes.equals(expected)).toBe(true);
        expect(record?.sharding?.shards[shard.rank]?.sha256).toBe(sha256(expected));
      }
    },
    processTestTimeoutMs,
  );

  it(
    'stays uncommitted when one rank never writes its shard',
    async () => {
      const outcome = await runRanks('step-2000', 2);
      const written = outcome.reports.filter((report) => !report.skipped);
      expect(written.map((report) => report.rank)).toEqual([0, 1, 3]);
      expect(written.every((report) => report.committed === false)).toBe(true);
      expect(outcome.ids).toHaveLength(1);
      expect(outcome.committed).toBeUndefined();
      expect(outcome.listed).toEqual([]);
      expect(outcome.latest).toBeUndefined();
      expect(outcome.shards).toEqual([]);
    },
    processTestTimeoutMs,
  );
});
