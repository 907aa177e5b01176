import { mkdir, rm, statfs } from 'node:fs/promises';
import { join } from 'node:path';
import type { Benchmark, ResultRow } from '../benchmark.js';
import { generatedBody } from '../generated-body.js';
import { catThenSha256sum, readFileDigest, streamToFile } from '../raw-limits.js';
import { bytesFromEnvironment, countFromEnvironment, formatBytes } from '../settings.js';
import { runSideBySide } from '../side-by-side.js';
import { summarize, summarizeRates } from '../statistics.js';
import { checkBuildsAreCurrent, saveInFreshProcess } from '../streamed-save-process.js';
import { withTemporaryDirectory } from '../temporary-directory.js';

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

/** Time and throughput rows of one pairing, and Cairn's memory rows. */
function pairingRows(
  label: string,
  cairnDurationsMs: number[],
  limitDurationsMs: number[],
  peaks: { peakBytes: number; beforeBytes: number }[],
): ResultRow[] {
  const inMebibytes = (values: number[]) => values.map((value) => value / mebibyte);
  return [
    {
      measure: `${label}: time (ms)`,
      cairn: summarize(cairnDurationsMs),
      limit: summarize(limitDurationsMs),
    },
    {
      measure: `${label}: throughput (MiB/s; p95 = rate of the p95 time)`,
      cairn: summarizeRates(cairnDurationsMs, bodyBytes / mebibyte),
      limit: summarizeRates(limitDurationsMs, bodyBytes / mebibyte),
    },
    {
      measure: `${label}: peak RSS of the saving process (MiB)`,
      cairn: summarize(inMebibytes(peaks.map((peak) => peak.peakBytes))),
    },
    {
      measure: `${label}: RSS growth during the save (MiB)`,
      cairn: summarize(inMebibytes(peaks.map((peak) => peak.peakBytes - peak.beforeBytes))),
    },
  ];
}

/** P2: a large streamed checkpoint, saved and verified, against `cat` + `sha256sum`. */
export const checkpointStreamBenchmark: Benchmark = {
  name: 'p2 checkpoint stream',
  run: () =>
    withTemporaryDirectory('checkpoint-stream', async (directory) => {
      await checkFreeSpace(directory);
      await checkBuildsAreCurrent();
      const size = formatBytes(bodyBytes);
      // One source file both sides read, so both start from the same bytes.
      const source = join(directory, 'source');
      await streamToFile(generatedBody(bodyBytes), source);
      const { sha256: expected } = await readFileDigest(source);
      const cairnRoot = join(directory, 'cairn');
      const rawFolder = join(directory, 'raw');
      await mkdir(rawFolder);
      const rawPath = (round: number) => join(rawFolder, `object-${round}`);

      const rows: ResultRow[] = [];
      for (const durable of [false, true]) {
        const peaks: { peakBytes: number; beforeBytes: number }[] = [];
        // Cairn runs in a fresh process per round: the in-process harness forces a garbage
        // collection before measured rounds, after which V8 keeps marking every few MiB of
        // buffers for the rest of the process, which would bill the harness to Cairn alone.
        const cairn = {
          measure: async (round: number) => {
            const report = await saveInFreshProcess(cairnRoot, source);
            if (report.sha256 !== expected || report.size !== bodyBytes) {
              throw new Error(`Cairn saved ${report.size} bytes with SHA-256 ${report.sha256}`);
            }
            if (round >= warmupRounds) peaks.push(report);
            return report.durationMs;
          },
          // Untimed: the disk never holds more than one copy per side.
          afterRound: () => rm(cairnRoot, { recursive: true, force: true }),
        };
        const raw = {
          run: async (round: number) => {
            const digest = await catThenSha256sum(source, rawPath(round), durable);
            if (digest !== expected) throw new Error(`sha256sum printed ${digest}`);
          },
          afterRound: (round: number) => rm(rawPath(round)),
        };
        const samples = await runSideBySide(cairn, raw, { warmupRounds, rounds });
        const label = `save ${size} vs cat + ${durable ? 'sync + ' : ''}sha256sum`;
        rows.push(
          ...pairingRows(label, samples.cairn.durationsMs, samples.limit.durationsMs, peaks),
        );
      }
      return {
        title: `P2. Checkpoint save + verify of a ${size} stream vs cat + sha256sum`,
        description: [
          `Cairn: \`createCheckpointStore({ storage: createFsStorage({ root }) }).save({ run, step, body: fs.createReadStream(source) })\` with fsync on (the default): the payload is streamed to the storage while hashed, flushed, read back to the end and its SHA-256 checked, then the YAML sidecar is created (flushed too).`,
          `It runs in a fresh plain \`node\` process per round, on the built packages, timed inside that process from just before \`save\` to its return (start-up and imports, ~0.2 s, not counted); its peak RSS is that process's \`maxRSS\` (Node and the imports included; the growth row subtracts the RSS before the save).`,
          `Limit: \`sh -c 'cat source > file && sha256sum file'\`, two spawned processes timed from spawn to exit, nothing flushed (the bytes may still be only in the page cache when it ends); second pair: \`cat source > file && sync file && sha256sum file\` (\`sync FILE\` is an \`fsync\` of it), durable like Cairn.`,
          `Both read the same ${size} source file, generated once, on the same disk; every round checks the SHA-256 against the source's.`,
        ].join(' '),
        rounds,
        warmupRounds,
        rows,
      };
    }),
};
