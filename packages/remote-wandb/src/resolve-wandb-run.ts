import type { MetadataSubject } from '@cairn/kernel';
import { parseRunPath, runPathFromMetadata, type WandbRunPath } from './wandb-run-path.js';
import type { ResolvedWandbSourceOptions } from './wandb-source-options.js';

/** The run a checkpoint maps to, and what mapped it. */
export interface MappedRun {
  /** The run. */
  readonly path: WandbRunPath;
  /** How it was found: `sidecar metadata`, `runs option "<prefix>"`, `run folder "<key>"`. */
  readonly mappedBy: string;
}

/** W&B's local run folders: `run-<YYYYMMDD_HHMMSS>-<run id>` (`offline-run-…` for offline runs). */
const runFolderPattern = /^(?:offline-)?run-(\d{8}_\d{6})-([A-Za-z0-9]+)$/;

function parentOf(key: string): string | undefined {
  const trimmed = key.endsWith('/') ? key.slice(0, -1) : key;
  const slash = trimmed.lastIndexOf('/');
  return slash < 0 ? (trimmed === '' ? undefined : '') : trimmed.slice(0, slash + 1);
}

/** The newest W&B run folder in `<folder>wandb/`, if any. */
async function runFolderIn(subject: MetadataSubject, folder: string) {
  const prefix = `${folder}wandb/`;
  let newest: { name: string; runId: string } | undefined;
  let cursor: string | undefined;
  do {
    const page = await subject.storage.listPage({
      prefix,
      delimiter: '/',
      ...(cursor === undefined ? {} : { cursor }),
      ...(subject.signal === undefined ? {} : { signal: subject.signal }),
    });
    for (const found of page.prefixes) {
      const name = found.slice(prefix.length, -1);
      const match = runFolderPattern.exec(name);
      // Folder names start with the run's start time: the last in order is the newest run.
      if (match?.[2] !== undefined && (newest === undefined || name > newest.name)) {
        newest = { name, runId: match[2] };
      }
    }
    cursor = page.cursor;
  } while (cursor !== undefined);
  return newest === undefined
    ? undefined
    : { key: `${prefix}${newest.name}/`, runId: newest.runId };
}

/**
 * Which W&B run a checkpoint belongs to, in order: its sidecar's metadata (`wandb`,
 * `wandb_run_path`), the `runs` option (the checkpoint id, else the longest key prefix of the
 * payload), a `wandb/run-…` folder beside the payload or a few folders up (entity and project
 * from the options). Otherwise the reason it maps to none.
 */
export async function resolveWandbRun(
  subject: MetadataSubject,
  options: ResolvedWandbSourceOptions,
): Promise<MappedRun | { readonly reason: string }> {
  const defaults = { entity: options.entity, project: options.project };
  if (subject.record !== undefined) {
    const path = runPathFromMetadata(subject.record.metadata, defaults);
    if (path !== undefined) return { path, mappedBy: 'sidecar metadata' };
  }
  const byId = subject.id === undefined ? undefined : options.runs[subject.id];
  if (byId !== undefined) {
    const path = parseRunPath(byId);
    if (path !== undefined) return { path, mappedBy: `runs option "${subject.id}"` };
  }
  let longest: string | undefined;
  for (const prefix of Object.keys(options.runs)) {
    if (
      subject.payloadKey.startsWith(prefix) &&
      (longest === undefined || prefix.length > longest.length)
    )
      longest = prefix;
  }
  if (longest !== undefined) {
    const path = parseRunPath(options.runs[longest] as string);
    if (path !== undefined) return { path, mappedBy: `runs option "${longest}"` };
  }
  let folder = parentOf(subject.payloadKey);
  for (let level = 0; folder !== undefined && level <= options.runFolderDepth; level++) {
    const found = await runFolderIn(subject, folder);
    if (found !== undefined) {
      if (options.entity === undefined || options.project === undefined) {
        return {
          reason: `the W&B run folder "${found.key}" names run ${found.runId}, but no entity and project are configured to find it (set the entity and project options)`,
        };
      }
      return {
        path: { entity: options.entity, project: options.project, runId: found.runId },
        mappedBy: `run folder "${found.key}"`,
      };
    }
    folder = folder === '' ? undefined : parentOf(folder);
  }
  return {
    reason:
      'no W&B run is mapped to it (no wandb run in its sidecar metadata, no entry in the runs option, no wandb/run-… folder beside it)',
  };
}
