// What the crash harness's verifier reports after each kill, and the judgement of it. Kept
// pure (no I/O) so the checks themselves are unit-tested with reports that must fail.

/** An error as the verifier saw it. */
export interface ErrorFacts {
  readonly code?: string;
  readonly message: string;
}

/** One committed checkpoint, loaded. */
export interface LoadedFacts {
  /** Its id. */
  readonly id: string;
  /** The counter its content says it is, when it says. */
  readonly counter?: number;
  /** The counter its sidecar's metadata says. */
  readonly metadataCounter?: number;
  /** Whether the content is exactly the payload of its counter. */
  readonly matches: boolean;
  /** Why not. */
  readonly reason?: string;
  /** Whether the verifier's own SHA-256 of the content equals the sidecar's. */
  readonly digestMatches: boolean;
}

/** A checkpoint that did not load. */
export interface FailedLoad {
  readonly id?: string;
  readonly error: ErrorFacts;
}

/** What the verifier found on disk, going around the storage. */
export interface DiskFacts {
  /** Sidecar files found. */
  readonly sidecars: number;
  /** Payload files without a sidecar (a save killed before its commit). */
  readonly orphanPayloads: number;
  /** Sidecars whose payload is missing, of another size or another digest, or unreadable. */
  readonly problems: readonly string[];
}

/** One verification, in a fresh storage and store, after a kill. */
export interface VerifierReport {
  /** `latest({ step, run })`'s id. */
  readonly latestId?: string;
  /** `load({ step, run })`: the latest checkpoint loaded, or why it did not load. */
  readonly latest?: LoadedFacts | FailedLoad;
  /** Every committed checkpoint listed for the run and step, loaded by id, oldest first. */
  readonly listed: readonly (LoadedFacts | FailedLoad)[];
  /** The disk scan. */
  readonly disk: DiskFacts;
  /** Temporary files and lock files with an owner left after a fresh storage opened. */
  readonly leftovers: readonly string[];
  /**
   * Empty lock files left after a fresh storage opened. A writer killed between creating its
   * lock file and writing its process id into it leaves one; the fs storage cannot tell whose
   * it is, so it waits for `staleLockAfterMs` before breaking it. Counted, not failed: it
   * blocks a write of that key for a while but loses nothing (see the harness's report).
   */
  readonly emptyLocks: number;
  /** Checkpoints the retention pass deleted after the checks. */
  readonly pruned: number;
  /** A failure outside the checks above (listing, pruning). */
  readonly error?: ErrorFacts;
}

/** What the parent knows from the writers' output up to this kill. */
export interface TrialExpectation {
  /** The last checkpoint any writer acknowledged: it must survive. */
  readonly lastAcked?: { readonly counter: number; readonly id: string };
  /** The highest counter any writer began to save: nothing newer can exist. */
  readonly lastAttempted?: number;
}

/** Whether a load succeeded. */
export function isLoaded(facts: LoadedFacts | FailedLoad | undefined): facts is LoadedFacts {
  return facts !== undefined && !('error' in facts);
}

function describeError(error: ErrorFacts): string {
  return `${error.code ?? 'error'}: ${error.message}`;
}

function checkLoaded(facts: LoadedFacts | FailedLoad, what: string): string[] {
  if (!isLoaded(facts)) {
    const named = facts.id === undefined ? what : `${what} ${facts.id}`;
    return [`${named} did not load: ${describeError(facts.error)}`];
  }
  const problems: string[] = [];
  if (!facts.matches)
    problems.push(`${what} ${facts.id} is not the payload saved: ${facts.reason}`);
  if (!facts.digestMatches)
    problems.push(`${what} ${facts.id} does not hash to its sidecar's SHA-256`);
  if (facts.counter !== facts.metadataCounter) {
    problems.push(
      `${what} ${facts.id} holds counter ${facts.counter} but its sidecar says ${facts.metadataCounter}`,
    );
  }
  return problems;
}

/**
 * Everything wrong with a verification, as sentences; empty when the store kept its promises:
 * the latest checkpoint loads and verifies, is no older than the last acknowledged save and no
 * newer than the last attempted one, is exactly the bytes saved for its counter; every listed
 * checkpoint loads, in counter order; no sidecar on disk vouches for a missing or partial
 * payload; the crashed writer's temporary files are gone.
 */
export function judgeTrial(report: VerifierReport, expectation: TrialExpectation): string[] {
  const problems: string[] = [];
  if (report.error !== undefined)
    problems.push(`verification failed: ${describeError(report.error)}`);
  const { latest } = report;
  const { lastAcked, lastAttempted } = expectation;
  if (latest === undefined) {
    if (lastAcked !== undefined) {
      problems.push(
        `no checkpoint found, but ${lastAcked.counter} (${lastAcked.id}) was acknowledged`,
      );
    }
  } else {
    problems.push(...checkLoaded(latest, 'the latest checkpoint'));
    if (isLoaded(latest)) {
      if (latest.id !== report.latestId) {
        problems.push(`load latest gave ${latest.id} but latest() says ${report.latestId}`);
      }
      const counter = latest.counter ?? Number.NaN;
      if (lastAcked !== undefined && !(counter >= lastAcked.counter)) {
        problems.push(
          `the latest checkpoint holds counter ${latest.counter}, older than ${lastAcked.counter}, which was acknowledged as saved (${lastAcked.id})`,
        );
      }
      if (!(counter <= (lastAttempted ?? 0))) {
        problems.push(
          `the latest checkpoint holds counter ${latest.counter}, but no writer began a save past ${lastAttempted ?? 'none'}`,
        );
      }
    }
  }
  let previous = Number.NEGATIVE_INFINITY;
  for (const facts of report.listed) {
    problems.push(...checkLoaded(facts, 'listed checkpoint'));
    if (isLoaded(facts) && facts.counter !== undefined) {
      if (!(facts.counter > previous)) {
        problems.push(
          `listed checkpoint ${facts.id} (${facts.counter}) is not newer than ${previous}`,
        );
      }
      previous = facts.counter;
    }
  }
  const listedIds = report.listed.map((facts) => facts.id);
  if (lastAcked !== undefined && !listedIds.includes(lastAcked.id)) {
    problems.push(`the acknowledged checkpoint ${lastAcked.id} is not listed as committed`);
  }
  if (isLoaded(latest) && listedIds.at(-1) !== latest.id) {
    problems.push(
      `the newest listed checkpoint ${listedIds.at(-1)} is not the latest, ${latest.id}`,
    );
  }
  problems.push(...report.disk.problems.map((problem) => `on disk: ${problem}`));
  if (report.leftovers.length > 0) {
    problems.push(`left in the temporary folders: ${report.leftovers.join(', ')}`);
  }
  return problems;
}
