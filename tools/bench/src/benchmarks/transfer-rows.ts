import type { ResultRow } from '../benchmark.js';
import type { SideBySideSamples } from '../side-by-side.js';
import { summarize, summarizeRates } from '../statistics.js';

const mebibyte = 1024 * 1024;

/** Time, throughput and peak memory growth rows for a transfer of `bytes`. */
export function transferRows(
  label: string,
  bytes: number,
  samples: SideBySideSamples,
): ResultRow[] {
  const toMebibytes = (values: number[]) => values.map((value) => value / mebibyte);
  return [
    {
      measure: `${label}: time (ms)`,
      cairn: summarize(samples.cairn.durationsMs),
      limit: summarize(samples.limit.durationsMs),
    },
    {
      measure: `${label}: throughput (MiB/s; p95 = rate of the p95 time)`,
      cairn: summarizeRates(samples.cairn.durationsMs, bytes / mebibyte),
      limit: summarizeRates(samples.limit.durationsMs, bytes / mebibyte),
    },
    {
      measure: `${label}: peak RSS growth (MiB)`,
      cairn: summarize(toMebibytes(samples.cairn.peakMemoryGrowthBytes)),
      limit: summarize(toMebibytes(samples.limit.peakMemoryGrowthBytes)),
    },
  ];
}
