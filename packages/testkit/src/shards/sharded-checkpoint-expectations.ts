import { createHash } from 'node:crypto';
import { expect } from 'vitest';
import { shardBytes, shardMetrics } from './shard-bytes.js';
import type { ShardWritersOutcome } from './shard-writers.js';

function sha256(bytes: Buffer): string {
  return createHash('sha256').update(bytes).digest('hex');
}

function ranksUpTo(worldSize: number): number[] {
  return Array.from({ length: worldSize }, (_, rank) => rank);
}

/**
 * Expects a {@link runShardWriters} run in which every rank wrote to have committed ONE
 * checkpoint: every rank given the same id, one of them seeing it committed, the sidecar
 * listing `worldSize` shards with rank 0's metrics, `list` and `latest` showing it, and every
 * rank's shard loading back as {@link shardBytes} of that rank with the SHA-256 the sidecar
 * lists.
 */
export function expectShardedCheckpointCommitted(
  outcome: ShardWritersOutcome,
  worldSize: number,
): void {
  expect(outcome.ids, 'every rank was given the same checkpoint id').toHaveLength(1);
  const [id] = outcome.ids;
  expect(outcome.reports.map((report) => report.skipped)).toEqual(
    ranksUpTo(worldSize).map(() => false),
  );
  expect(outcome.reports.some((report) => !report.skipped && report.committed)).toBe(true);

  const record = outcome.committed;
  expect(record?.id).toBe(id);
  expect(record?.sharding?.worldSize).toBe(worldSize);
  // A sharded checkpoint keeps rank 0's labels.
  expect(record?.metrics).toEqual(shardMetrics(0));
  expect(outcome.listed.map((entry) => entry.id)).toEqual([id]);
  expect(outcome.latest?.id).toBe(id);
  expect(outcome.shards.map((shard) => shard.rank)).toEqual(ranksUpTo(worldSize));
  for (const shard of outcome.shards) {
    const expected = shardBytes(shard.rank);
    expect(shard.bytes.equals(expected), `rank ${shard.rank} loads its own bytes`).toBe(true);
    expect(record?.sharding?.shards[shard.rank]?.sha256).toBe(sha256(expected));
  }
}

/**
 * Expects a {@link runShardWriters} run in which rank `skipRank` wrote nothing to have left the
 * checkpoint uncommitted: the other ranks wrote under one id and none saw it committed, there
 * is no sidecar, and `list`, `latest` and the shards read back are all empty.
 */
export function expectShardedCheckpointUncommitted(
  outcome: ShardWritersOutcome,
  expected: { readonly worldSize: number; readonly skipRank: number },
): void {
  const written = outcome.reports.filter((report) => !report.skipped);
  expect(written.map((report) => report.rank)).toEqual(
    ranksUpTo(expected.worldSize).filter((rank) => rank !== expected.skipRank),
  );
  expect(written.every((report) => report.committed === false)).toBe(true);
  expect(outcome.ids).toHaveLength(1);
  expect(outcome.committed).toBeUndefined();
  expect(outcome.listed).toEqual([]);
  expect(outcome.latest).toBeUndefined();
  expect(outcome.shards).toEqual([]);
}
