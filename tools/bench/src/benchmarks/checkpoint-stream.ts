import { createReadStream } from 'node:fs';
import { mkdir, rm, statfs } from 'node:fs/promises';
import { join } from 'node:path';
import { checkpointKeys, createCheckpointStore, defaultTimeIds, runId } from '@cairn/kernel';
import { createFsStorage } from '@cairn/storage-fs';
import type { Benchmark, ResultRow } from '../benchmark.js';
import { checkBuildsAreCurrent, measureStreamedSavePeak } from '../checkpoint-stream-peak.js';
import { generatedBody } from '../generated-body.js';
import { formatNumber } from '../markdown-report.js';
import { catThenSha256sum, readFileDigest, streamToFile } from '../raw-limits.js';
import { bytesFromEnvironment, countFromEnvironment, formatBytes } from '../settings.js';
import { runSideBySide } from '../side-by-side.js';
import { withTemporaryDirectory } from '../temporary-directory.js';
import { transferRows } from './transfer-rows.js';

const bodyBytes = bytesFromEnvironment('CAIRN_BENCH_P2_BYTES', 1024 ** 3);
const warmupRounds = countFromEnvironment('CAIRN_BENCH_P2_WARMUP_ROUNDS', 1);
const rounds = countFromEnvironment('CAIRN_BENCH_P2_ROUNDS', 3);
const mebibyte = 1024 * 1024;

// The source, one copy per side, and room to spare for the file system.
async function checkFreeSpace(directory: string): Promise<void> {
  const { bavail, bsize } = await statfs(directory);
  const needed = 4 * bodyBytes;
  if (bavail * bsize < needed) {
    throw new Error(
      `[bench] P2 needs ${formatBytes(needed)} free in ${directory} and has ${formatBytes(bavail * bsize)}: free some space or set CAIRN_BENCH_P2_BYTES lower (e.g. 256MiB).`,
    );
  }
}

/** P2: a large streamed checkpoint, saved and verified, against `cat` + `sha256sum`. */
export const checkpointStreamBenchmark: Benchmark = {
  name: 'p2 checkpoint stream',
  run: () =>
    withTemporaryDirectory('checkpoint-stream', async (directory) => {
      await checkFreeSpace(directory);
      await checkBuildsAreCurrent();
      const size = formatBytes(bodyBytes);
      // One source file both sides read, so both start from the same (page-cached) bytes.
      const source = join(directory, 'source');
      await streamToFile(generatedBody(bodyBytes), source);
      const { sha256: expected } = await readFileDigest(source);
      const storage = createFsStorage({ root: join(directory, 'cairn') });
      const store = createCheckpointStore({ storage });
      const run = runId('bench', defaultTimeIds.next());
      const rawFolder = join(directory, 'raw');
      await mkdir(rawFolder);
      const rawPath = (round: number) => join(rawFolder, `object-${round}`);
      let lastId: string | undefined;

      const cairn = {
        run: async () => {
          const record = await store.save({ run, step: 'train', body: createReadStream(source) });
          if (record.sha256 !== expected || record.size !== bodyBytes) {
            throw new Error(`Cairn saved ${record.size} bytes with SHA-256 ${record.sha256}`);
          }
          lastId = record.id;
        },
        // Untimed: the disk never holds more than one copy per side.
        afterRound: async () => {
          if (lastId === undefined) return;
          const keys = checkpointKeys(lastId);
          await storage.delete(keys.sidecar);
          await storage.delete(keys.payload);
        },
      };
      const raw = (durable: boolean) => ({
        run: async (round: number) => {
          const digest = await catThenSha256sum(source, rawPath(round), durable);
          if (digest !== expected) throw new Error(`sha256sum printed ${digest}`);
        },
        afterRound: (round: number) => rm(rawPath(round)),
      });

      const rows: ResultRow[] = [];
      for (const durable of [false, true]) {
        const samples = await runSideBySide(cairn, raw(durable), {
          warmupRounds,
          rounds,
          sampleMemory: true,
        });
        const label = durable
          ? `save ${size} vs cat + sync + sha256sum`
          : `save ${size} vs cat + sha256sum`;
        rows.push(...transferRows(label, bodyBytes, samples));
      }
      await storage.close?.();

      const peak = await measureStreamedSavePeak(join(directory, 'child'), source);
      if (peak.sha256 !== expected) throw new Error(`the child saved SHA-256 ${peak.sha256}`);
      const inMiB = (bytes: number) => formatNumber(bytes / mebibyte);
      return {
        title: `P2. Checkpoint save + verify of a ${size} stream vs cat + sha256sum`,
        description: [
          `Cairn: \`createCheckpointStore({ storage: createFsStorage({ root }) }).save({ run, step, body: fs.createReadStream(source) })\` with fsync on (the default): the payload is streamed to the storage while hashed, flushed, read back to the end and its SHA-256 checked, then the YAML sidecar is created (flushed too).`,
          `Limit: \`sh -c 'cat source > file && sha256sum file'\` (two spawned processes; nothing flushed: the bytes may still be in the page cache when it ends), and \`cat source > file && sync file && sha256sum file\` (\`sync FILE\` is an \`fsync\` of it) for a durable pair.`,
          `Both read the same ${size} source file, generated once and page-cached, on the same disk; every round checks the SHA-256 against the source's.`,
          `RSS growth is of the bench process (for the limit, Node waiting for the children).`,
          `**Peak RSS of a fresh Node process that does only this save** (plain \`node\` on the built packages, \`process.resourceUsage().maxRSS\`): ${inMiB(peak.peakBytes)} MiB, of which ${inMiB(peak.beforeBytes)} MiB before the save started (Node itself and the imports).`,
        ].join(' '),
        rounds,
        warmupRounds,
        rows,
      };
    }),
};
