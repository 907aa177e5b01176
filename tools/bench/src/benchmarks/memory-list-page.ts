import { createMemoryStorage } from '@cairn/kernel';
import type { Benchmark } from '../benchmark.js';
import { treeKeyCount, treeKeys } from '../key-tree.js';
import { runSideBySide } from '../side-by-side.js';
import { summarize, summarizeRates } from '../statistics.js';

const warmupRounds = 10;
const rounds = 60;
const pageSize = 1000;

function checkCount(side: string, count: number): void {
  if (count !== treeKeyCount) throw new Error(`${side} listed ${count} keys, not ${treeKeyCount}`);
}

/** Benchmark 5: paging through memory storage against sorting the keys of a plain array. */
export const memoryListPageBenchmark: Benchmark = {
  name: 'memory listPage 20,000 keys',
  run: async () => {
    const keys = treeKeys();
    // Shuffled with a fixed step so the plain array really has to be sorted.
    const shuffled = keys.map((_key, index) => keys[(index * 7919) % keys.length] as string);
    const storage = createMemoryStorage();
    for (const key of shuffled) await storage.put(key, '{"score":0.5}');
    const samples = await runSideBySide(
      {
        run: async () => {
          let count = 0;
          let cursor: string | undefined;
          do {
            const page = await storage.listPage({ prefix: 'runs/', pageSize, cursor });
            count += page.objects.length;
            cursor = page.cursor;
          } while (cursor !== undefined);
          checkCount('Cairn', count);
        },
      },
      { run: async () => checkCount('raw', [...shuffled].sort().length) },
      { warmupRounds, rounds },
    );
    return {
      title: '5. List 20,000 keys from memory storage',
      description:
        'Cairn: `createMemoryStorage().listPage({ prefix, pageSize: 1000, cursor })` until the last page, each object with its info. Limit: copying and sorting a plain array of the same 20,000 keys (inserted in shuffled order).',
      rounds,
      warmupRounds,
      rows: [
        {
          measure: 'list 20,000 keys: time (ms)',
          cairn: summarize(samples.cairn.durationsMs),
          limit: summarize(samples.limit.durationsMs),
        },
        {
          measure: 'list 20,000 keys: keys/s',
          cairn: summarizeRates(samples.cairn.durationsMs, treeKeyCount),
          limit: summarizeRates(samples.limit.durationsMs, treeKeyCount),
        },
      ],
    };
  },
};
