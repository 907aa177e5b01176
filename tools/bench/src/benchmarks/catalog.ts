import { createHash } from 'node:crypto';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { type CheckpointRecord, formatSidecar, formatTimeStamp } from '@cairn/kernel';
import { createFsStorage } from '@cairn/storage-fs';
import type { Benchmark, ResultRow } from '../benchmark.js';
import { listInFreshProcess } from '../catalog-process.js';
import { forEachConcurrently } from '../key-tree.js';
import { countFromEnvironment } from '../settings.js';
import { runSideBySide, type SelfTimedContender } from '../side-by-side.js';
import { summarize } from '../statistics.js';
import { checkBuildsAreCurrent } from '../streamed-save-process.js';
import { withTemporaryDirectory } from '../temporary-directory.js';

const smallCount = countFromEnvironment('CAIRN_BENCH_P3_SMALL', 10_000);
const largeCount = countFromEnvironment('CAIRN_BENCH_P3_LARGE', 100_000);
const rounds = countFromEnvironment('CAIRN_BENCH_P3_ROUNDS', 3);
const largeRounds = countFromEnvironment('CAIRN_BENCH_P3_LARGE_ROUNDS', 2);
const mebibyte = 1024 * 1024;
const alphabet = '0123456789abcdefghjkmnpqrstvwxyz';

/** A deterministic time id suffix for checkpoint `index`. */
function suffixOf(index: number, salt: string): string {
  const digest = createHash('sha256').update(`${salt}${index}`).digest();
  return Array.from(digest.subarray(0, 6), (byte) => alphabet[byte % 32]).join('');
}

/**
 * Writes `count` checkpoints in Cairn's layout, one a minute ending now (so a catalog's
 * refresh window holds only the last few), over 20 runs and two steps: a payload of
 * `payloadBytes` starting with a JSON line of its metrics (where a naive catalog finds them),
 * and a sidecar with its real size and SHA-256, metadata, metrics and tags.
 */
async function writeCatalog(root: string, count: number, payloadBytes: number): Promise<void> {
  const storage = createFsStorage({ root, fsync: false });
  const first = Date.now() - count * 60_000;
  const runs = Array.from(
    { length: 20 },
    (_, run) => `train/${formatTimeStamp(first - 60_000 + run)}-${suffixOf(run, 'run')}`,
  );
  const indexes = Array.from({ length: count }, (_, index) => index);
  await forEachConcurrently(indexes, 32, async (index) => {
    const step = index % 5 === 4 ? 'eval' : 'train';
    const id = `${step}/${formatTimeStamp(first + index * 60_000)}-${suffixOf(index, 'id')}`;
    const loss = 1 / (1 + (index % 997));
    const metrics = { loss, precision: 1 - loss / 2, recall: 1 - loss, hmean: 1 - (loss * 3) / 4 };
    const header = `${JSON.stringify({ epoch: index, metrics })}\n`;
    const payload = Buffer.alloc(Math.max(payloadBytes, header.length), 0x20);
    payload.write(header);
    const record: CheckpointRecord = {
      format: 'cairn.checkpoint/v1',
      id,
      run: runs[index % runs.length] as string,
      step,
      createdAt: new Date(first + index * 60_000).toISOString(),
      size: payload.length,
      sha256: createHash('sha256').update(payload).digest('hex'),
      codec: 'raw',
      contentType: 'application/octet-stream',
      metadata: { epoch: index, dataset: 'squad:v2', optimizer: { name: 'adamw', lr: 0.0003 } },
      metrics,
      tags: index % 100 === 0 ? ['milestone'] : [],
      sequence: Math.floor(index / runs.length) + 1,
    };
    await storage.put(`checkpoints/${id}/payload`, payload);
    await storage.put(`checkpoints/${id}/checkpoint.yaml`, formatSidecar(record));
  });
  await storage.close?.();
}

/** A contender listing the catalog at `root` in a fresh process; peaks collected on the side. */
function listing(
  mode: 'cairn' | 'naive' | 'raw',
  root: string,
  count: number,
  peaks: number[],
  warmupRounds: number,
  options: { readonly cold?: boolean } = {},
): SelfTimedContender {
  return {
    measure: async (round) => {
      // Cold: a new process with no index, as after a first `index` or on a fresh clone.
      if (options.cold) await rm(join(root, 'catalog'), { recursive: true, force: true });
      const report = await listInFreshProcess(mode, root);
      if (report.entries !== count) {
        throw new Error(`the ${mode} listing found ${report.entries} of ${count} checkpoints`);
      }
      if (round >= warmupRounds) peaks.push(report.peakBytes / mebibyte);
      return report.durationMs;
    },
  };
}

async function compare(
  label: string,
  cairn: (peaks: number[]) => SelfTimedContender,
  limit: (peaks: number[]) => SelfTimedContender,
  options: { readonly rounds: number; readonly warmupRounds: number },
): Promise<ResultRow[]> {
  const cairnPeaks: number[] = [];
  const limitPeaks: number[] = [];
  const samples = await runSideBySide(cairn(cairnPeaks), limit(limitPeaks), options);
  return [
    {
      measure: `${label}: time (ms)`,
      cairn: summarize(samples.cairn.durationsMs),
      limit: summarize(samples.limit.durationsMs),
    },
    {
      measure: `${label}: peak RSS of the listing process (MiB)`,
      cairn: summarize(cairnPeaks),
      limit: summarize(limitPeaks),
    },
  ];
}

/** P3: listing a catalog of checkpoints with their metrics, cold and warm, against a naive catalog. */
export const catalogBenchmark: Benchmark = {
  name: 'p3 catalog',
  run: () =>
    withTemporaryDirectory('catalog', async (directory) => {
      await checkBuildsAreCurrent();
      const rows: ResultRow[] = [];
      const small = join(directory, 'small');
      console.error(`[bench] P3: writing ${smallCount} checkpoints with 64 KiB payloads…`);
      await writeCatalog(small, smallCount, 64 * 1024);
      const smallOptions = { rounds, warmupRounds: 1 };
      const of =
        (mode: 'cairn' | 'naive' | 'raw', cold = false) =>
        (peaks: number[]) =>
          listing(mode, small, smallCount, peaks, smallOptions.warmupRounds, { cold });
      const n = smallCount.toLocaleString('en-US');
      rows.push(
        ...(await compare(`${n} cold vs naive`, of('cairn', true), of('naive'), smallOptions)),
      );
      rows.push(...(await compare(`${n} warm vs naive`, of('cairn'), of('naive'), smallOptions)));
      rows.push(
        ...(await compare(
          `${n} cold vs raw sidecar reads`,
          of('cairn', true),
          of('raw'),
          smallOptions,
        )),
      );
      rows.push(
        ...(await compare(`${n} warm vs raw sidecar reads`, of('cairn'), of('raw'), smallOptions)),
      );
      await rm(small, { recursive: true, force: true });

      const large = join(directory, 'large');
      console.error(`[bench] P3: writing ${largeCount} checkpoints with 1 KiB payloads…`);
      await writeCatalog(large, largeCount, 1024);
      const largeOptions = { rounds: largeRounds, warmupRounds: 0 };
      const ofLarge =
        (mode: 'cairn' | 'raw', cold = false) =>
        (peaks: number[]) =>
          listing(mode, large, largeCount, peaks, 0, { cold });
      const m = largeCount.toLocaleString('en-US');
      rows.push(
        ...(await compare(
          `${m} cold vs raw sidecar reads`,
          ofLarge('cairn', true),
          ofLarge('raw'),
          largeOptions,
        )),
      );
      rows.push(
        ...(await compare(
          `${m} warm vs raw sidecar reads`,
          ofLarge('cairn'),
          ofLarge('raw'),
          largeOptions,
        )),
      );
      return {
        title: `P3. Catalog of ${n} and ${m} checkpoints, cold and warm, vs a naive catalog and raw sidecar reads`,
        description: [
          "Cairn: `createCatalog({ storage: createFsStorage({ root }) }).checkpoints()` consumed to the end, in a fresh plain `node` process per round on the built packages, timed inside it (start-up and imports not counted); peak RSS is that process's `maxRSS`.",
          'Cold: the catalog index (`catalog/`) deleted before the round, so every sidecar is read and the index written; warm: the index left by the round before, as for any later command.',
          `Naive (${n}, 64 KiB payloads): a catalog that opens each payload — readdir of the steps, then each payload read whole with \`node:fs\` (32 at a time) and its first line parsed for the metrics.`,
          'Raw sidecar reads: the floor of any catalog that reads each sidecar — readdir, then `readFile` of every sidecar with `node:fs` (32 at a time), nothing parsed or checked.',
          `Checkpoints: one a minute up to now over 20 runs and two steps (train, eval), written with the fs storage (fsync off for the setup); ${m} with 1 KiB payloads.`,
        ].join(' '),
        rounds,
        warmupRounds: 1,
        rows,
      };
    }),
};
