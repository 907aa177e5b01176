import type { Storage } from '@cairn/kernel';
import { type ChildCommand, runReleasedChildren } from '../processes/released-children.js';
import {
  checkVersionHistory,
  readVersionHistory,
  type StoredVersion,
} from './version-history-check.js';
import type { VersionWriterAssignment, VersionWriterReport } from './version-writer.js';

/** How to start one writer process. */
export type VersionWriterCommand = ChildCommand;

/** Options for {@link runManyVersionWriters}. */
export interface ManyVersionWritersOptions {
  /** The store every writer uses, opened in this process too, to read the history after. */
  readonly storage: Storage;
  /** The versioned name's prefix (ends with `/`); use a fresh one per run. */
  readonly prefix: string;
  /** How many writer processes. */
  readonly writers: number;
  /** How many versions each writer creates. */
  readonly versionsEach: number;
  /**
   * The command that starts a writer: a script that opens the same store and calls
   * {@link runVersionWriterChild} with this assignment.
   */
  readonly startWriter: (assignment: VersionWriterAssignment) => VersionWriterCommand;
}

/** What a many-writers run produced. */
export interface ManyVersionWritersOutcome {
  /** One report per writer, as the children printed them. */
  readonly reports: readonly VersionWriterReport[];
  /** The versions in the store afterwards. */
  readonly stored: readonly StoredVersion[];
  /** Everything wrong (see {@link checkVersionHistory}); empty when the run was right. */
  readonly problems: readonly string[];
}

/**
 * Starts `writers` processes that each create `versionsEach` versions of ONE name at the same
 * moment, then checks the store: versions 1…writers×versionsEach present once each, every
 * (writer, iteration) stored exactly once, and every writer's reported numbers matching what is
 * stored. Backend-neutral: the caller's command opens its own store (fs root, S3 bucket…).
 *
 * @example
 * const outcome = await runManyVersionWriters({ storage, prefix: 'many/', writers: 8, versionsEach: 50,
 *   startWriter: tsxWriterCommand(childScript, description) });
 * expect(outcome.problems).toEqual([]);
 */
export async function runManyVersionWriters(
  options: ManyVersionWritersOptions,
): Promise<ManyVersionWritersOutcome> {
  const { storage, prefix, writers, versionsEach } = options;
  const reports = await runReleasedChildren<VersionWriterReport>(
    Array.from({ length: writers }, (_, writer) =>
      options.startWriter({ writer, prefix, versions: versionsEach }),
    ),
    (writer) => `writer ${writer}`,
  );
  const stored = await readVersionHistory(storage, prefix);
  return {
    reports,
    stored,
    problems: checkVersionHistory({ writers, versionsEach, stored, reports }),
  };
}
