import type { CreateVersionOptions, Storage } from '@cairn/kernel';
import { sendReport, waitForRelease } from '../processes/release-signal.js';
import { type VersionWriterAssignment, writeVersions } from './version-writer.js';

/**
 * The child's side of {@link runManyVersionWriters}, for a small script per backend that
 * opens its storage from a description and hands it here:
 *
 * ```ts
 * const [description, assignment] = process.argv.slice(2);
 * await runVersionWriterChild(() => openMyStorage(JSON.parse(description)), parseVersionWriterAssignment(assignment));
 * ```
 *
 * It prints `{"ready":true}` once the storage is open, waits for a `go` line on stdin (so every
 * writer starts at the same moment, however long each took to boot), writes its versions and
 * prints `{"report":…}`. A failure is thrown: the process exits non-zero and the parent shows
 * its stderr.
 */
export async function runVersionWriterChild(
  openStorage: () => Storage | Promise<Storage>,
  assignment: VersionWriterAssignment,
  retry?: CreateVersionOptions['retry'],
): Promise<void> {
  const storage = await openStorage();
  await waitForRelease();
  try {
    const report = await writeVersions(storage, assignment, retry);
    sendReport(report);
  } finally {
    await storage.close?.();
  }
}

/**
 * Reads the assignment {@link runManyVersionWriters} passes to a child as JSON.
 * @throws Error when the text is not an assignment.
 */
export function parseVersionWriterAssignment(text: string | undefined): VersionWriterAssignment {
  const value = JSON.parse(text ?? 'null') as Partial<VersionWriterAssignment> | null;
  if (
    value === null ||
    !Number.isInteger(value.writer) ||
    typeof value.prefix !== 'string' ||
    !Number.isInteger(value.versions)
  ) {
    throw new Error(`not a version writer assignment: ${text}`);
  }
  return {
    writer: value.writer as number,
    prefix: value.prefix,
    versions: value.versions as number,
  };
}
