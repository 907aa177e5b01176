/** The middle and the slow tail of a set of samples. */
export interface Summary {
  /** The median (the mean of the two middle samples for an even count). */
  readonly median: number;
  /** The 95th percentile by nearest rank: with few samples, this is the largest. */
  readonly p95: number;
  /** How many samples were summarised. */
  readonly count: number;
}

/**
 * Median and 95th percentile of `samples`.
 *
 * @throws Error when there are no samples: a summary of nothing would print as a number.
 */
export function summarize(samples: readonly number[]): Summary {
  if (samples.length === 0) throw new Error('summarize() needs at least one sample');
  const sorted = [...samples].sort((left, right) => left - right);
  const middle = sorted.length >>> 1;
  const median =
    sorted.length % 2 === 1
      ? (sorted[middle] as number)
      : ((sorted[middle - 1] as number) + (sorted[middle] as number)) / 2;
  // Nearest rank: the smallest sample with at least 95% of the samples at or below it.
  const rank = Math.ceil(0.95 * sorted.length);
  return { median, p95: sorted[rank - 1] as number, count: sorted.length };
}

/**
 * Rates (`amount` per second) from durations in milliseconds. The `p95` field holds the slow
 * tail, as for durations: the rate of the 95th-percentile duration, not the 95th-highest rate.
 */
export function summarizeRates(durationsMs: readonly number[], amount: number): Summary {
  const rates = durationsMs.map((durationMs) => amount / (durationMs / 1000));
  // A high rate is good, so the tail worth reporting is the 5th percentile of rates.
  const negated = summarize(rates.map((rate) => -rate));
  return { median: -negated.median, p95: -negated.p95, count: negated.count };
}
