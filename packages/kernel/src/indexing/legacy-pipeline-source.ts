import type { MetadataLookup, MetadataSource, SourceRun } from '../catalog/metadata-source.js';
import type { JsonValue } from '../checkpoints/json-value.js';
import { throwIfAborted } from './indexing-backend.js';
import { fileNameOf, folderNameOf, folderOf, foldersUp } from './key-paths.js';
import {
  backupTwinKey,
  findLegacyEntry,
  isBackupTwin,
  type LegacyEntry,
  type LegacyMasterFile,
  legacyMasterFileName,
  parseLegacyFileName,
  parseLegacyMasterFile,
  parseLegacyTimestamp,
} from './legacy-master-file.js';
import { createSmallFileCache, maxMasterFileBytes, type ParsedFile } from './small-file.js';

/** The name the legacy-pipeline source reports. */
export const legacyPipelineSourceName = 'legacy-pipeline';

/**
 * The metadata key that carries a legacy checkpoint's step (the master file's step or the step
 * folder's name): `indexCheckpoints` files the sidecar under that step.
 */
export const pipelineStepMetadataKey = 'pipelineStep';

/** How many folders above the payload's own the master file is looked for. */
const levelsUp = 3;

/** The run's start: the earliest timestamp of its entries in the master file. */
function runStart(master: LegacyMasterFile, runId: string): string | undefined {
  const times = master.entries
    .filter((entry) => entry.runId === runId && entry.timestamp !== undefined)
    .map((entry) => parseLegacyTimestamp(entry.timestamp as string))
    .filter((time): time is string => time !== undefined)
    .sort();
  return times[0];
}

function entryFacts(entry: LegacyEntry): Record<string, JsonValue> {
  const facts: Record<string, JsonValue> = { filePath: entry.filePath };
  if (entry.timestamp !== undefined) facts.timestamp = entry.timestamp;
  if (entry.runId !== undefined) facts.runId = entry.runId;
  if (entry.backupPath !== undefined) facts.backupPath = entry.backupPath;
  if (entry.fileSizeBytes !== undefined) facts.fileSizeBytes = entry.fileSizeBytes;
  return facts;
}

/**
 * Infers metadata for the layout older Python pipelines of this kind left: a master
 * `checkpoint_metadata.json` (in the payload's folder or up to {@link levelsUp} above it) whose
 * `checkpoints.<step>[]` entries name each file, and step folders of
 * `<step>_YYYYMMDD_HHMMSS.pkl` files, each with a `_backup` twin.
 *
 * - An entry (matched by `file_path`) gives the step, the time (`timestamp`, read as UTC when it
 *   has no zone), the run (`run_id`; the run's start is its earliest entry) and
 *   `verification_passed` (metadata and a `verified` or `verification-failed` tag).
 * - A `.pkl` the master file does not list still gets its step and time from its name.
 * - A `_backup` twin is never a checkpoint of its own (`not-found`); its key is recorded in
 *   the checkpoint's `metadata.backupKey`.
 * - An entry whose file is missing, and a malformed master file, are `unusable`.
 *
 * The step is in `metadata.pipelineStep` ({@link pipelineStepMetadataKey}).
 */
export function createLegacyPipelineSource(): MetadataSource {
  const files = createSmallFileCache();
  return {
    name: legacyPipelineSourceName,
    async lookup(subject): Promise<MetadataLookup> {
      const { payloadKey, storage, signal } = subject;
      const what = `Looking up "${payloadKey}" in the legacy-pipeline source`;
      throwIfAborted(signal, what);
      const fileName = fileNameOf(payloadKey);
      if (!fileName.endsWith('.pkl')) {
        return { status: 'not-found', reason: `"${payloadKey}" is not a .pkl file` };
      }
      if (isBackupTwin(payloadKey)) {
        return {
          status: 'not-found',
          reason: `"${payloadKey}" is a _backup twin, recorded with the checkpoint it copies`,
        };
      }
      let masterKey: string | undefined;
      let master: ParsedFile<LegacyMasterFile> = { status: 'missing' };
      let masterFolder = '';
      for (const folder of foldersUp(folderOf(payloadKey), levelsUp)) {
        throwIfAborted(signal, what);
        const key = `${folder}${legacyMasterFileName}`;
        master = await files.read(storage, key, maxMasterFileBytes, parseLegacyMasterFile, signal);
        if (master.status === 'missing') continue;
        if (master.status === 'unusable') return master;
        masterKey = key;
        masterFolder = folder;
        break;
      }
      const entry =
        master.status === 'found'
          ? findLegacyEntry(master.value, payloadKey.slice(masterFolder.length))
          : undefined;
      const named = parseLegacyFileName(fileName);
      if (
        entry === undefined &&
        (named === undefined ||
          (master.status !== 'found' && folderNameOf(folderOf(payloadKey)) !== named.step))
      ) {
        return {
          status: 'not-found',
          reason:
            master.status === 'found'
              ? `"${masterKey}" does not list "${payloadKey}" and its name is not <step>_YYYYMMDD_HHMMSS.pkl`
              : `no ${legacyMasterFileName} above "${payloadKey}" and it is not <step>/<step>_YYYYMMDD_HHMMSS.pkl`,
        };
      }
      throwIfAborted(signal, what);
      const payload = await storage.head(payloadKey);
      if (payload === undefined) {
        return entry === undefined
          ? { status: 'not-found', reason: `there is no object at "${payloadKey}"` }
          : {
              status: 'unusable',
              reason: `"${masterKey}" lists "${entry.filePath}" but there is no object at "${payloadKey}"`,
            };
      }
      const twinKey = backupTwinKey(payloadKey);
      const twin = await storage.head(twinKey);
      const step = entry?.step ?? (named?.step as string);
      const createdAt =
        (entry?.timestamp === undefined ? undefined : parseLegacyTimestamp(entry.timestamp)) ??
        named?.createdAt;
      const tags = ['legacy-pipeline'];
      const metadata: Record<string, JsonValue> = { [pipelineStepMetadataKey]: step };
      if (twin !== undefined) metadata.backupKey = twinKey;
      let run: SourceRun | undefined;
      if (entry !== undefined && master.status === 'found') {
        metadata.legacy = entryFacts(entry);
        if (entry.verificationPassed !== undefined) {
          metadata.verificationPassed = entry.verificationPassed;
          tags.push(entry.verificationPassed ? 'verified' : 'verification-failed');
        }
        if (entry.fileSizeBytes !== undefined && entry.fileSizeBytes !== payload.size) {
          tags.push('size-mismatch');
        }
        if (entry.runId !== undefined) {
          const started = runStart(master.value, entry.runId);
          run = {
            id: entry.runId,
            name: entry.runId,
            group: folderNameOf(masterFolder) ?? 'legacy',
            ...(started === undefined ? {} : { createdAt: started }),
          };
        }
      } else tags.push('not-in-master-file');
      return {
        status: 'found',
        answer: {
          metadata,
          metrics: {},
          tags,
          ...(run === undefined ? {} : { run }),
          ...(createdAt === undefined ? {} : { createdAt }),
          origin: entry !== undefined && masterKey !== undefined ? masterKey : payloadKey,
        },
      };
    },
  };
}
