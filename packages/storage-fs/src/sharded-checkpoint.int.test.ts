import { createHash } from 'node:crypto';
import { createCheckpointStore, isCairnError, readAll } from '@cairn/kernel';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type ChildScripts,
  prepareChildScripts,
  startLineChild,
} from './testing/checkpoint-child-process.js';
import {
  openSharedStorage,
  type SharedStorageDescription,
  shardBytes,
} from './testing/shard-storage.js';
import { temporaryRoot } from './testing/temporary-root.js';

// Four real processes, one per rank, each save their shard of one checkpoint on one storage.
// The storage comes from the description alone, so the same test can run on S3.

const run = 'train/20250810T143022.123Z-k3f9a2';
const worldSize = 4;
const script = 'shard-writer-child.ts';
let scripts: ChildScripts;

beforeAll(async () => {
  scripts = await prepareChildScripts([script]);
});

afterAll(async () => {
  await scripts?.dispose();
});

/** The storage every rank shares: the one place to switch the test to another backend. */
async function sharedStorage(): Promise<SharedStorageDescription> {
  return { kind: 'fs', root: await temporaryRoot() };
}

interface RankReport {
  readonly rank: number;
  readonly id?: string;
  readonly sha256?: string;
  readonly committed?: boolean;
  readonly skipped?: boolean;
}

async function runRanks(
  description: SharedStorageDescription,
  name: string,
  skipRank?: number,
): Promise<RankReport[]> {
  const writer = scripts.scripts.get(script);
  if (writer === undefined) throw new Error(`${script} was not prepared`);
  const children = Array.from({ length: worldSize }, (_, rank) =>
    startLineChild(writer, [
      JSON.stringify(description),
      run,
      name,
      String(rank),
      String(worldSize),
      ...(rank === skipRank ? ['skip'] : []),
    ]),
  );
  const reports: RankReport[] = [];
  for (const child of children) {
    const line = await child.waitForLine((text) => text.startsWith('{'), 60_000);
    expect(await child.exited, child.errors()).toEqual({ code: 0, signal: null });
    reports.push(JSON.parse(line) as RankReport);
  }
  return reports;
}

describe('a checkpoint written in shards by four processes', () => {
  it('commits once all four shards are stored, and every shard loads verified', async () => {
    const description = await sharedStorage();
    const reports = await runRanks(description, 'step-1000');
    const ids = new Set(reports.map((report) => report.id));
    expect(ids.size).toBe(1);
    expect(reports.some((report) => report.committed)).toBe(true);

    const store = createCheckpointStore({ storage: openSharedStorage(description) });
    const [id] = [...ids] as string[];
    const record = await store.get(id as string);
    expect(record.sharding?.worldSize).toBe(worldSize);
    expect(record.metrics).toEqual({ loss: 0.25 });
    const listed = [];
    for await (const entry of store.list({ step: 'train' })) listed.push(entry.id);
    expect(listed).toEqual([id]);
    for (let rank = 0; rank < worldSize; rank++) {
      const expected = shardBytes(rank);
      const opened = await store.open({ id: id as string }, { rank });
      const bytes = await readAll(opened.body);
      expect(bytes.equals(expected)).toBe(true);
      expect(record.sharding?.shards[rank]?.sha256).toBe(
        createHash('sha256').update(expected).digest('hex'),
      );
    }
  });

  it('stays uncommitted when one rank never writes its shard', async () => {
    const description = await sharedStorage();
    const reports = await runRanks(description, 'step-2000', 2);
    const written = reports.filter((report) => !report.skipped);
    expect(written).toHaveLength(worldSize - 1);
    expect(written.every((report) => report.committed === false)).toBe(true);
    const store = createCheckpointStore({ storage: openSharedStorage(description) });
    expect(await store.latest({ step: 'train' })).toBeUndefined();
    const missing = await store.get(written[0]?.id as string).catch((error: unknown) => error);
    expect(isCairnError(missing, 'NOT_FOUND')).toBe(true);
  });
});
