import { isJsonObject, toJsonValue } from './json-metadata.js';

/** The name of the master file of the legacy layout. */
export const legacyMasterFileName = 'checkpoint_metadata.json';

/** One entry of `checkpoints.<step>[]` in a legacy master file. */
export interface LegacyEntry {
  /** The step it belongs to (the key it is listed under). */
  readonly step: string;
  /** When it was saved, as written (Python's `isoformat()`, often without a zone). */
  readonly timestamp?: string;
  readonly runId?: string;
  readonly filePath: string;
  readonly backupPath?: string;
  readonly fileSizeBytes?: number;
  readonly verificationPassed?: boolean;
}

/** A parsed master file: its entries, in file order. */
export interface LegacyMasterFile {
  readonly entries: readonly LegacyEntry[];
}

/**
 * Reads a legacy `checkpoint_metadata.json`: `{ "checkpoints": { "<step>": [ { timestamp,
 * run_id, file_path, backup_path, file_size_bytes, verification_passed } ] } }`.
 * @throws Error saying what is wrong when it is not JSON or not that shape.
 */
export function parseLegacyMasterFile(text: string): LegacyMasterFile {
  const value = toJsonValue(JSON.parse(text));
  if (!isJsonObject(value) || !isJsonObject(value.checkpoints)) {
    throw new Error('expected an object with a "checkpoints" object of steps');
  }
  const entries: LegacyEntry[] = [];
  for (const [step, list] of Object.entries(value.checkpoints)) {
    if (!Array.isArray(list)) throw new Error(`"checkpoints.${step}" is not a list`);
    list.forEach((entry, index) => {
      if (!isJsonObject(entry) || typeof entry.file_path !== 'string' || entry.file_path === '') {
        throw new Error(`"checkpoints.${step}[${index}]" has no file_path`);
      }
      entries.push({
        step,
        filePath: entry.file_path,
        ...(typeof entry.timestamp === 'string' ? { timestamp: entry.timestamp } : {}),
        ...(typeof entry.run_id === 'string' ? { runId: entry.run_id } : {}),
        ...(typeof entry.backup_path === 'string' ? { backupPath: entry.backup_path } : {}),
        ...(typeof entry.file_size_bytes === 'number'
          ? { fileSizeBytes: entry.file_size_bytes }
          : {}),
        ...(typeof entry.verification_passed === 'boolean'
          ? { verificationPassed: entry.verification_passed }
          : {}),
      });
    });
  }
  return { entries };
}

/**
 * The entry for the file at `relativeKey` (its key below the master file's folder): the one
 * whose `file_path`, with `\` read as `/`, is that key or ends with `/` and it. The pipelines
 * wrote paths relative to their working folder or absolute, never relative to the master file.
 */
export function findLegacyEntry(
  master: LegacyMasterFile,
  relativeKey: string,
): LegacyEntry | undefined {
  return master.entries.find((entry) => {
    const path = entry.filePath.replace(/\\/g, '/');
    return path === relativeKey || path.endsWith(`/${relativeKey}`);
  });
}

/**
 * A timestamp as the pipelines wrote it (`2024-05-01T12:00:00.123456`, a space instead of the
 * `T`, with or without a zone), as ISO 8601 in UTC with milliseconds. One without a zone is
 * read as UTC. Undefined when it is not such a timestamp.
 */
export function parseLegacyTimestamp(text: string): string | undefined {
  const match =
    /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(Z|[+-]\d{2}:?\d{2})?$/.exec(
      text.trim(),
    );
  if (match === null) return undefined;
  const [, year, month, day, hour, minute, second, fraction = '', zone = 'Z'] = match;
  const milliseconds = fraction.padEnd(3, '0').slice(0, 3);
  const normalisedZone = zone === 'Z' ? 'Z' : `${zone.slice(0, 3)}:${zone.slice(-2)}`;
  const date = new Date(
    `${year}-${month}-${day}T${hour}:${minute}:${second}.${milliseconds}${normalisedZone}`,
  );
  return Number.isNaN(date.getTime()) ? undefined : date.toISOString();
}

/** What a legacy payload's name says: `<step>_YYYYMMDD_HHMMSS.pkl` (read as UTC). */
export function parseLegacyFileName(
  fileName: string,
): { readonly step: string; readonly createdAt: string } | undefined {
  const match = /^(.+)_(\d{4})(\d{2})(\d{2})_(\d{2})(\d{2})(\d{2})\.pkl$/.exec(fileName);
  if (match === null) return undefined;
  const [, step, year, month, day, hour, minute, second] = match;
  const iso = `${year}-${month}-${day}T${hour}:${minute}:${second}.000Z`;
  const date = new Date(iso);
  if (Number.isNaN(date.getTime()) || date.toISOString() !== iso) return undefined;
  return { step: step as string, createdAt: iso };
}

/** The key of the `_backup` twin of a legacy payload (`x.pkl` → `x_backup.pkl`). */
export function backupTwinKey(key: string): string {
  return key.replace(/(\.[^./]+)$/, '_backup$1');
}

/** Whether a key is a `_backup` twin (`…_backup.pkl`), never a checkpoint of its own. */
export function isBackupTwin(key: string): boolean {
  return /_backup\.[^./]+$/.test(key);
}
