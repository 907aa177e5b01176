import { listVersions, readAll, type Storage } from '@cairn/kernel';
import type { VersionWriterReport } from './version-writer.js';

/** A stored version and the writer and iteration its record names (undefined if unreadable). */
export interface StoredVersion {
  /** The version number. */
  readonly version: number;
  /** The writer the record names. */
  readonly writer: number | undefined;
  /** The iteration the record names. */
  readonly iteration: number | undefined;
  /** The record as stored, for failure messages. */
  readonly text: string;
}

/** Lists every version under `prefix` and reads who wrote each one. */
export async function readVersionHistory(
  storage: Storage,
  prefix: string,
): Promise<StoredVersion[]> {
  const history: StoredVersion[] = [];
  for await (const { version, key } of listVersions(storage, prefix)) {
    const text = (await readAll((await storage.get(key)).body)).toString('utf8');
    let writer: number | undefined;
    let iteration: number | undefined;
    try {
      const record = JSON.parse(text) as Record<string, unknown>;
      if (Number.isInteger(record.writer)) writer = record.writer as number;
      if (Number.isInteger(record.iteration)) iteration = record.iteration as number;
    } catch {
      // Left undefined: reported as a record that names no writer.
    }
    history.push({ version, writer, iteration, text });
  }
  return history;
}

/** What {@link checkVersionHistory} compares. */
export interface VersionHistoryExpectation {
  /** How many writers ran (numbered from 0). */
  readonly writers: number;
  /** How many versions each writer created. */
  readonly versionsEach: number;
  /** What the store holds, from {@link readVersionHistory}. */
  readonly stored: readonly StoredVersion[];
  /** What the writers said they got, one report per writer. */
  readonly reports: readonly VersionWriterReport[];
}

/**
 * Everything wrong with a many-writers history, as sentences; empty when it is right:
 *
 * - the store holds exactly versions 1…writers×versionsEach, each once;
 * - every record names a writer and iteration in range, and every (writer, iteration) pair
 *   appears exactly once: nothing lost, nothing written twice, nothing overwritten;
 * - every writer reported versionsEach numbers, no number was reported by two writers, and
 *   the number a writer got for an iteration holds that writer's record of that iteration.
 */
export function checkVersionHistory(expectation: VersionHistoryExpectation): string[] {
  const { writers, versionsEach, stored, reports } = expectation;
  const total = writers * versionsEach;
  const problems: string[] = [];

  const seenVersions = new Set<number>();
  const versionOfPair = new Map<string, number>();
  for (const entry of stored) {
    if (seenVersions.has(entry.version)) problems.push(`v${entry.version} is listed twice`);
    seenVersions.add(entry.version);
    if (entry.version > total) problems.push(`v${entry.version} exists beyond v${total}`);
    const { writer, iteration } = entry;
    if (
      writer === undefined ||
      iteration === undefined ||
      writer < 0 ||
      writer >= writers ||
      iteration < 0 ||
      iteration >= versionsEach
    ) {
      problems.push(`v${entry.version} names no valid writer and iteration: ${entry.text}`);
      continue;
    }
    const pair = `writer ${writer} iteration ${iteration}`;
    const earlier = versionOfPair.get(pair);
    if (earlier !== undefined)
      problems.push(`${pair} is stored twice: v${earlier} and v${entry.version}`);
    else versionOfPair.set(pair, entry.version);
  }
  for (let version = 1; version <= total; version += 1) {
    if (!seenVersions.has(version)) problems.push(`v${version} is missing`);
  }
  for (let writer = 0; writer < writers; writer += 1) {
    for (let iteration = 0; iteration < versionsEach; iteration += 1) {
      const pair = `writer ${writer} iteration ${iteration}`;
      if (!versionOfPair.has(pair)) problems.push(`${pair} is not stored (lost or overwritten)`);
    }
  }

  const reporterOfVersion = new Map<number, number>();
  for (let writer = 0; writer < writers; writer += 1) {
    const writerReports = reports.filter((report) => report.writer === writer);
    const report = writerReports[0];
    if (writerReports.length !== 1 || report === undefined) {
      problems.push(`writer ${writer} sent ${writerReports.length} reports, not 1`);
      continue;
    }
    if (report.versions.length !== versionsEach) {
      problems.push(
        `writer ${writer} reported ${report.versions.length} versions, not ${versionsEach}`,
      );
    }
    for (const [iteration, version] of report.versions.entries()) {
      const other = reporterOfVersion.get(version);
      if (other !== undefined)
        problems.push(`v${version} was given to writer ${other} and writer ${writer}`);
      reporterOfVersion.set(version, writer);
      const pair = `writer ${writer} iteration ${iteration}`;
      const storedAt = versionOfPair.get(pair);
      if (storedAt !== version) {
        const where = storedAt === undefined ? 'is not stored' : `is stored at v${storedAt}`;
        problems.push(`${pair} got v${version} but its record ${where}`);
      }
    }
  }

  return problems;
}
