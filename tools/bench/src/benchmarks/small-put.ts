import { randomBytes } from 'node:crypto';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { createFsStorage } from '@cairn/storage-fs';
import type { Benchmark, ResultRow } from '../benchmark.js';
import { writeFileAtomically } from '../raw-limits.js';
import { runSideBySide } from '../side-by-side.js';
import { summarize } from '../statistics.js';
import { withTemporaryDirectory } from '../temporary-directory.js';

const bodyBytes = 1024;
const warmupRounds = 30;
const rounds = 400;

async function compare(directory: string, durable: boolean): Promise<ResultRow> {
  const mode = durable ? 'on' : 'off';
  const storage = createFsStorage({ root: join(directory, `cairn-fsync-${mode}`), fsync: durable });
  const rawFolder = join(directory, `raw-fsync-${mode}`, 'items');
  await mkdir(rawFolder, { recursive: true });
  const body = randomBytes(bodyBytes);
  // A new key every round, in a folder that already exists: a batch writing its items.
  const samples = await runSideBySide(
    { run: (round) => storage.put(`items/item-${round}`, body).then(() => {}) },
    { run: (round) => writeFileAtomically(join(rawFolder, `item-${round}`), body, durable) },
    { warmupRounds, rounds },
  );
  await storage.close?.();
  return {
    measure: `put 1 KiB, fsync ${mode} (ms)`,
    cairn: summarize(samples.cairn.durationsMs),
    limit: summarize(samples.limit.durationsMs),
  };
}

/** Benchmark 1: small durable puts against the least an atomic durable write costs. */
export const smallPutBenchmark: Benchmark = {
  name: 'small put',
  run: () =>
    withTemporaryDirectory('small-put', async (directory) => ({
      title: '1. Small put (1 KiB)',
      description:
        'Cairn: `createFsStorage(...).put(key, 1 KiB)`. Limit: plain `node:fs` write of a temporary file, `fsync`, rename over the target, `fsync` of the folder (fsync off: the same without the two flushes).',
      rounds,
      warmupRounds,
      rows: [await compare(directory, true), await compare(directory, false)],
    })),
};
