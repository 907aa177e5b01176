import { createHash, randomBytes } from 'node:crypto';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type S3TestServer, startS3Server } from '@cairn/s3-test-server';
import { runShardWriters, type ShardWriterAssignment, shardBytes } from '@cairn/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  describeS3Storage,
  openS3Storage,
  type S3StorageDescription,
} from './testing/s3-storage-description.js';

// Four real processes, one per rank and each with its own S3 client, save their shard of one
// checkpoint on one bucket: the commit marker is created once, when every shard is present,
// and a rank that never writes leaves the checkpoint uncommitted. Same harness as storage-fs.
const packageDirectory = join(dirname(fileURLToPath(import.meta.url)), '..');
const childScript = join(packageDirectory, 'src', 'testing', 's3-shard-writer-child.ts');
const run = 'train/20250810T143022.123Z-k3f9a2';
const worldSize = 4;
// Four Node processes booting tsx on a small, busy machine take a while: a generous limit, not
// a timing assertion.
const processTestTimeoutMs = 300_000;

let server: S3TestServer;

beforeAll(async () => {
  server = await startS3Server();
});

afterAll(async () => {
  await server?.stop();
});

function writerCommand(description: S3StorageDescription) {
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
    env: { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
  });
}

/** Runs the ranks on a fresh prefix of the bucket, so the two tests never see each other. */
async function runRanks(name: string, skipRank?: number) {
  const description = describeS3Storage(server, `shards-${randomBytes(4).toString('hex')}/`);
  const storage = openS3Storage(description);
  try {
    return await runShardWriters({
      storage,
      run,
      name,
      worldSize,
      ...(skipRank === undefined ? {} : { skipRank }),
      startWriter: writerCommand(description),
    });
  } finally {
    await storage.close();
  }
}

function sha256(bytes: Buffer): string {
  return createHash('sha256').update(bytes).digest('hex');
}

describe('a checkpoint written in shards by four processes on one bucket', () => {
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
    'stays uncommitted, and invisible to list and latest, when one rank never writes its shard',
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
