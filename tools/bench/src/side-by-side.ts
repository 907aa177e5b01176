import { collectGarbage, startMemorySampler } from './memory-sampler.js';

/** What every contender may have. */
interface ContenderBase {
  /** Untimed work after each round, e.g. deleting what the round wrote. */
  afterRound?(round: number): Promise<void>;
}

/** A contender whose rounds the harness times around the call. */
export interface TimedContender extends ContenderBase {
  /** The timed work of one round. */
  run(round: number): Promise<void>;
  measure?: never;
}

/**
 * A contender that times its rounds itself, e.g. inside a child process so that the child's
 * start-up is not counted.
 */
export interface SelfTimedContender extends ContenderBase {
  /** The work of one round; resolves with how long it took, in milliseconds. */
  measure(round: number): Promise<number>;
  run?: never;
}

/** One of the two things compared: Cairn, or the limit it is held against. */
export type Contender = TimedContender | SelfTimedContender;

/** How to run a comparison. */
export interface SideBySideOptions {
  /** Rounds that are run but not recorded: they warm caches, the JIT and the folders. */
  readonly warmupRounds: number;
  /** Rounds recorded. */
  readonly rounds: number;
  /** Also record the peak growth of the resident set size in each round. */
  readonly sampleMemory?: boolean;
}

/** What was recorded for one contender. */
export interface Samples {
  /** Duration of each recorded round, in milliseconds. */
  readonly durationsMs: number[];
  /** Peak resident set growth of each recorded round, in bytes (empty unless sampled). */
  readonly peakMemoryGrowthBytes: number[];
}

/** What was recorded for both contenders, round by round. */
export interface SideBySideSamples {
  /** Cairn's samples. */
  readonly cairn: Samples;
  /** The limit's samples. */
  readonly limit: Samples;
}

async function runOnce(
  contender: Contender,
  round: number,
  samples: Samples | undefined,
  sampleMemory: boolean,
): Promise<void> {
  // Only before measured memory: a full collection per round would dwarf a 1 KiB put.
  if (sampleMemory) collectGarbage();
  const sampler = sampleMemory ? startMemorySampler() : undefined;
  const start = performance.now();
  let durationMs: number;
  if (contender.measure !== undefined) {
    durationMs = await contender.measure(round);
  } else {
    await contender.run(round);
    durationMs = performance.now() - start;
  }
  const growth = sampler?.stop();
  await contender.afterRound?.(round);
  if (samples === undefined) return;
  samples.durationsMs.push(durationMs);
  if (growth !== undefined) samples.peakMemoryGrowthBytes.push(growth);
}

/**
 * Runs Cairn and its limit in the same process, round after round, taking turns at going
 * first: a disk that slows down or a neighbour that wakes up mid-run then weighs on both
 * sides instead of on whichever ran second.
 */
export async function runSideBySide(
  cairn: Contender,
  limit: Contender,
  options: SideBySideOptions,
): Promise<SideBySideSamples> {
  const recorded: SideBySideSamples = {
    cairn: { durationsMs: [], peakMemoryGrowthBytes: [] },
    limit: { durationsMs: [], peakMemoryGrowthBytes: [] },
  };
  const sampleMemory = options.sampleMemory ?? false;
  const total = options.warmupRounds + options.rounds;
  for (let round = 0; round < total; round++) {
    const warm = round >= options.warmupRounds;
    const order: Array<[Contender, Samples]> = [
      [cairn, recorded.cairn],
      [limit, recorded.limit],
    ];
    if (round % 2 === 1) order.reverse();
    for (const [contender, samples] of order) {
      await runOnce(contender, round, warm ? samples : undefined, sampleMemory);
    }
  }
  return recorded;
}
