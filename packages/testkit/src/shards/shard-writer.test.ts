import { createCheckpointStore, createMemoryStorage } from '@cairn/kernel';
import { describe, expect, it } from 'vitest';
import { shardBytes } from './shard-bytes.js';
import { type ShardWriterAssignment, writeShard } from './shard-writer.js';
import { parseShardWriterAssignment } from './shard-writer-child.js';

const assignment: ShardWriterAssignment = {
  run: 'train/20250810T143022.123Z-k3f9a2',
  step: 'train',
  name: 'step-1000',
  rank: 0,
  worldSize: 3,
  skip: false,
};

describe('shardBytes', () => {
  it('gives each rank its own bytes, the same every time', () => {
    expect(shardBytes(1).equals(shardBytes(1))).toBe(true);
    expect(shardBytes(1).equals(shardBytes(2))).toBe(false);
    expect(shardBytes(0, 10)).toHaveLength(10);
  });
});

describe('writeShard on one store (in one process)', () => {
  it('commits once every rank wrote, with rank 0 metrics, the last rank seeing all shards', async () => {
    const storage = createMemoryStorage();
    const reports = [];
    for (let rank = 0; rank < 3; rank++)
      reports.push(await writeShard(storage, { ...assignment, rank }));
    expect(reports.map((report) => (report.skipped ? 'skipped' : report.committed))).toEqual([
      false,
      false,
      true,
    ]);
    const last = reports[2];
    if (last === undefined || last.skipped) throw new Error('rank 2 did not write');
    expect(last.shardsPresent).toBe(3);
    const record = await createCheckpointStore({ storage }).get(last.id);
    expect(record.metrics).toEqual({ loss: 0.25, rank: 0 });
  });

  it('writes nothing for a skipped rank', async () => {
    const storage = createMemoryStorage();
    expect(await writeShard(storage, { ...assignment, rank: 1, skip: true })).toEqual({
      rank: 1,
      skipped: true,
    });
    const keys = [];
    for await (const info of storage.list({ prefix: '' })) keys.push(info.key);
    expect(keys).toEqual([]);
  });
});

describe('parseShardWriterAssignment', () => {
  it('reads back what the parent wrote', () => {
    expect(parseShardWriterAssignment(JSON.stringify(assignment))).toEqual(assignment);
  });

  it('refuses text that is not an assignment', () => {
    expect(() => parseShardWriterAssignment(JSON.stringify({ ...assignment, rank: '1' }))).toThrow(
      /not a shard writer assignment/,
    );
    expect(() => parseShardWriterAssignment(undefined)).toThrow(/not a shard writer assignment/);
  });
});
