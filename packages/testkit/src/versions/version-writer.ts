import { type CreateVersionOptions, createVersion, type Storage } from '@cairn/kernel';

/** What one writer of a many-writers test is asked to do. */
export interface VersionWriterAssignment {
  /** The writer's number, from 0; written into every record it creates. */
  readonly writer: number;
  /** The versioned name's prefix, shared by every writer (ends with `/`). */
  readonly prefix: string;
  /** How many versions this writer creates, one after another. */
  readonly versions: number;
}

/** What a writer reports: the version numbers it was given, in the order it created them. */
export interface VersionWriterReport {
  /** The writer's number. */
  readonly writer: number;
  /** `versions[i]` is the number createVersion returned for iteration `i`. */
  readonly versions: readonly number[];
  /** Lost races and retried failures, summed over its calls (attempts beyond the first). */
  readonly retries: number;
}

/** The content of a record a test writer creates: who wrote it, and in which iteration. */
export interface VersionWriterRecord {
  /** The writer's number. */
  readonly writer: number;
  /** The iteration, from 0. */
  readonly iteration: number;
  /** The writing process, to tell processes apart in a failure message. */
  readonly pid: number;
}

/**
 * Creates `assignment.versions` versions under `assignment.prefix`, each record naming this
 * writer and the iteration, and reports the numbers it got. The heart of a many-writers test:
 * run it in several processes at once against one store, then check the history with
 * {@link checkVersionHistory}.
 */
export async function writeVersions(
  storage: Storage,
  assignment: VersionWriterAssignment,
  retry?: CreateVersionOptions['retry'],
): Promise<VersionWriterReport> {
  const versions: number[] = [];
  let retries = 0;
  for (let iteration = 0; iteration < assignment.versions; iteration += 1) {
    const record: VersionWriterRecord = { writer: assignment.writer, iteration, pid: process.pid };
    const created = await createVersion(storage, {
      prefix: assignment.prefix,
      body: JSON.stringify(record),
      contentType: 'application/json',
      // Continue from this writer's last number, as a real writer would: a short look each time.
      startAfter: versions.at(-1) ?? 0,
      ...(retry === undefined ? {} : { retry }),
    });
    versions.push(created.version);
    retries += created.attempts - 1;
  }
  return { writer: assignment.writer, versions, retries };
}
