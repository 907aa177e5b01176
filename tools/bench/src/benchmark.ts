import type { Summary } from './statistics.js';

/** One measured quantity, for Cairn and for its limit. */
export interface ResultRow {
  /** What is measured, with its unit, e.g. `put 1 KiB, fsync on (ms)`. */
  readonly measure: string;
  /** Cairn's samples, summarised. */
  readonly cairn: Summary;
  /** The limit's samples, summarised; absent for a quantity only Cairn's side has. */
  readonly limit?: Summary;
}

/** The outcome of one benchmark: a titled table. */
export interface BenchmarkResult {
  /** Heading of the table. */
  readonly title: string;
  /** What runs on each side, in a sentence or two. */
  readonly description: string;
  /** Rounds recorded per side (warm-up rounds excluded). */
  readonly rounds: number;
  /** Rounds run first and not recorded. */
  readonly warmupRounds: number;
  /** The measured quantities. */
  readonly rows: readonly ResultRow[];
}

/** A benchmark: sets up in a temporary folder, measures, cleans up. */
export interface Benchmark {
  /** Short name, printed while it runs. */
  readonly name: string;
  /** Runs it. */
  run(): Promise<BenchmarkResult>;
}
