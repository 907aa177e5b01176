import { join } from 'node:path';
import type { Storage } from '@cairn/kernel';
import { createFsStorage } from '@cairn/storage-fs';
import type { Benchmark, ResultRow } from '../benchmark.js';
import { forEachConcurrently, treeKeyCount, treeKeys } from '../key-tree.js';
import { listFilesSorted } from '../raw-limits.js';
import { runSideBySide } from '../side-by-side.js';
import { summarize, summarizeRates } from '../statistics.js';
import { withTemporaryDirectory } from '../temporary-directory.js';

const warmupRounds = 1;
const rounds = 5;

function checkCount(side: string, count: number): void {
  if (count !== treeKeyCount) throw new Error(`${side} listed ${count} keys, not ${treeKeyCount}`);
}

async function listAll(storage: Storage): Promise<void> {
  let count = 0;
  for await (const _info of storage.list({ prefix: 'runs/' })) count++;
  checkCount('Cairn', count);
}

async function compare(storage: Storage, rawRoot: string, stat: boolean): Promise<ResultRow[]> {
  const samples = await runSideBySide(
    { run: () => listAll(storage) },
    { run: async () => checkCount('raw', (await listFilesSorted(rawRoot, stat)).length) },
    { warmupRounds, rounds },
  );
  const limit = stat ? 'readdir + lstat + sort' : 'readdir + sort';
  return [
    {
      measure: `list 20,000 keys vs ${limit}: time (ms)`,
      cairn: summarize(samples.cairn.durationsMs),
      limit: summarize(samples.limit.durationsMs),
    },
    {
      measure: `list 20,000 keys vs ${limit}: keys/s`,
      cairn: summarizeRates(samples.cairn.durationsMs, treeKeyCount),
      limit: summarizeRates(samples.limit.durationsMs, treeKeyCount),
    },
  ];
}

/** Benchmark 4: listing 20 000 keys in nested folders against a sorted recursive readdir. */
export const fsListBenchmark: Benchmark = {
  name: 'fs list 20,000 keys',
  run: () =>
    withTemporaryDirectory('fs-list', async (directory) => {
      // fsync off only to set up faster: a listing reads what is there either way.
      const storage = createFsStorage({ root: directory, fsync: false });
      await forEachConcurrently(treeKeys(), 16, (key) => storage.put(key, '{"score":0.5}'));
      // The limit walks the very same files (the objects' folder, without Cairn's records).
      const rawRoot = join(directory, 'runs');
      const rows = [
        ...(await compare(storage, rawRoot, false)),
        ...(await compare(storage, rawRoot, true)),
      ];
      await storage.close?.();
      return {
        title: '4. List 20,000 keys in nested folders (fs)',
        description:
          'Cairn: `for await (const info of storage.list({ prefix: "runs/" }))` over 20 runs × 10 steps × 100 items, each info with size, etag and SHA-256 (one `lstat` and one metadata record read per key). Limit: `fs.readdir(root, { recursive: true })` of the same files, sorted; second pair: the same plus an `lstat` per file (16 at a time, like Cairn), since a listing reports sizes.',
        rounds,
        warmupRounds,
        rows,
      };
    }),
};
