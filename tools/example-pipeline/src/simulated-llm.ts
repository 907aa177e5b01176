import { CairnError, createSeededRandom } from '@cairn/kernel';

/** A candidate answer the pipeline scores. */
export interface Candidate {
  /** Stable id, also the item's storage key. */
  readonly id: string;
  /** The text being scored. */
  readonly text: string;
}

/** Options for {@link createSimulatedScorer}. */
export interface SimulatedScorerOptions {
  /** Seed for the simulated faults, so a run is repeatable. */
  readonly seed: number;
  /** Share of calls that fail with a transient error (0–1). */
  readonly transientFailureRate: number;
  /** Ids that always fail with a permanent error (a bad item). */
  readonly brokenIds?: ReadonlySet<string>;
  /** Simulated latency of one call, in milliseconds. */
  readonly latencyMs: number;
}

/**
 * Stands in for a slow, flaky remote call (an LLM judge, an evaluation service): it sometimes
 * fails with a retryable error, always fails for broken items, and takes time. The score itself
 * is a pure function of the text, so a rerun computes the same numbers.
 */
export function createSimulatedScorer(options: SimulatedScorerOptions) {
  const random = createSeededRandom(options.seed);
  let calls = 0;
  return {
    /** How many times `score` has been called. */
    get calls() {
      return calls;
    },
    /** Scores a candidate between 0 and 1. */
    async score(candidate: Candidate, signal: AbortSignal): Promise<number> {
      calls += 1;
      await delay(options.latencyMs, signal);
      if (options.brokenIds?.has(candidate.id)) {
        throw new CairnError({
          code: 'PERMANENT_IO',
          backend: 'scorer',
          message: `Candidate ${candidate.id} cannot be scored: its text is empty.`,
        });
      }
      if (random() < options.transientFailureRate) {
        throw new CairnError({
          code: 'TRANSIENT_IO',
          backend: 'scorer',
          message: 'The scoring service answered 503; try again.',
        });
      }
      let hash = 0;
      for (const character of candidate.text)
        hash = (hash * 31 + (character.codePointAt(0) ?? 0)) >>> 0;
      return (hash % 1000) / 1000;
    },
  };
}

function delay(milliseconds: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason);
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, milliseconds);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal.reason);
    };
    signal.addEventListener('abort', onAbort, { once: true });
  });
}
