import type { MetadataAnswer, MetadataSource, MetadataSubject } from '@cairn/kernel';

/** What a metadata-source conformance check runs against: a source and subjects it knows. */
export interface MetadataSourceFixture {
  /** The source under test. */
  readonly source: MetadataSource;
  /** Subjects the source answers `found` for. At least one. */
  readonly found: readonly MetadataSubject[];
  /**
   * Optional: for each `found` subject (same index), fields the answer must contain (checked
   * with `toMatchObject`).
   */
  readonly expected?: readonly Partial<MetadataAnswer>[];
  /** Subjects it has nothing on (`not-found`). At least one. */
  readonly notFound: readonly MetadataSubject[];
  /** Subjects with damaged data (`unusable`), when the source can have such. */
  readonly unusable?: readonly MetadataSubject[];
  /** Strings that must never appear in any answer, reason or error (API keys…). */
  readonly secrets?: readonly string[];
  /** Cleans up servers, folders. */
  destroy?(): Promise<void>;
}

/**
 * One metadata-source conformance check: a plain async function that throws (an assertion
 * naming what the source did wrong) when the source breaks the contract.
 */
export interface MetadataSourceCheck {
  /** What the check proves, phrased as the test title. */
  readonly title: string;
  /**
   * Why the check does not apply to this fixture (no `unusable` subjects, no `close()`…), or
   * undefined when it does. A check that does not apply is reported as skipped.
   */
  skipReason?(fixture: MetadataSourceFixture): string | undefined;
  /** Runs the check; resolves when the source conforms, rejects when it does not. */
  run(fixture: MetadataSourceFixture): Promise<void>;
}

/** A named group of checks, reported as one `describe` block. */
export interface MetadataSourceCheckGroup {
  /** The group's title, e.g. `lookups` or `cancellation`. */
  readonly title: string;
  /** The checks, in the order they run. */
  readonly checks: readonly MetadataSourceCheck[];
}
