import { recordedDigest, recordedPrimaryEtag } from './mirrored-storage-digest.js';
import type { CopyProblem } from './mirrored-storage-problems.js';
import type { RepairSource } from './mirrored-storage-repair.js';
import type { ObjectInfo } from './storage.js';

/** One copy of one object as a scrub found it: read whole and hashed, or a problem. */
export type CopyState =
  | { readonly kind: 'problem'; readonly problem: CopyProblem }
  | {
      readonly kind: 'read';
      readonly index: number;
      readonly info: ObjectInfo;
      /** Hex SHA-256 of the bytes read. */
      readonly actual: string;
    };

/** What {@link judgeCopies} decided. */
export interface Judgement {
  /** Every bad copy, in copy order. */
  readonly problems: readonly CopyProblem[];
  /** The copy the others are made to match; undefined when no copy can be trusted. */
  readonly trusted: RepairSource | undefined;
  /** Copies with a problem that must not be rewritten (see {@link judgeCopies}). */
  readonly untouchable: ReadonlySet<number>;
}

/**
 * Decides, from every copy of one object, which copy to trust and what is wrong with the rest.
 *
 * - A copy is checked against its own recorded digest; the primary, when it recorded none, also
 *   against a backup's digest that provably belongs to its version (the backup recorded the
 *   primary's current etag). A mismatch is `corrupt`.
 * - The first such digest in copy order (normally the primary's) names the version wanted; the
 *   trusted copy is the first whose bytes match it. The primary arbitrates writes, so a backup
 *   holding another version is `stale`, and a backup is never trusted over the version the
 *   primary recorded, even when the primary's bytes are damaged.
 * - A copy with no digest of its own cannot be called corrupt: when its bytes differ from the
 *   trusted copy's it is `stale`. If it comes before the trusted copy (a primary read between
 *   committing new bytes and recording their digest), it may hold the newer version, so it is
 *   untouchable: reported, never rewritten.
 * - When no copy recorded any digest, the first copy read is trusted.
 */
export function judgeCopies(states: readonly CopyState[]): Judgement {
  const reads = states.flatMap((state) => (state.kind === 'read' ? [state] : []));
  const primary = reads[0]?.index === 0 ? reads[0] : undefined;
  const proven =
    primary === undefined || recordedDigest(primary.info) !== undefined
      ? undefined
      : reads.find(
          (state) =>
            state.index > 0 &&
            recordedPrimaryEtag(state.info) === primary.info.etag &&
            recordedDigest(state.info) !== undefined,
        );
  const verifiedBy = (state: (typeof reads)[number]) =>
    recordedDigest(state.info) ??
    (state.index === 0 && proven !== undefined ? recordedDigest(proven.info) : undefined);
  const expected = reads.map(verifiedBy).find((sha256) => sha256 !== undefined);
  const trustedRead =
    expected === undefined
      ? reads[0]
      : reads.find((state) => verifiedBy(state) === expected && state.actual === expected);
  const trusted: RepairSource | undefined =
    trustedRead === undefined
      ? undefined
      : { index: trustedRead.index, info: trustedRead.info, sha256: trustedRead.actual };
  const reference = trusted?.sha256 ?? expected;

  const problems: CopyProblem[] = [];
  const untouchable = new Set<number>();
  for (const state of states) {
    if (state.kind === 'problem') {
      problems.push(state.problem);
      continue;
    }
    const { index, info, actual } = state;
    const own = verifiedBy(state);
    if (own !== undefined && actual !== own) {
      problems.push({ kind: 'corrupt', index, expected: own, actual, etag: info.etag });
    } else if (reference !== undefined && actual !== reference) {
      problems.push({ kind: 'stale', index, expected: reference, actual, etag: info.etag });
      if (own === undefined && (trusted === undefined || index < trusted.index)) {
        untouchable.add(index);
      }
    }
  }
  return { problems, trusted, untouchable };
}
