import { layout } from '../naming/layout.js';
import { timeIdPattern } from '../naming/time-id.js';
import type { ObjectInfo, Storage } from '../storage/storage.js';
import { isBackupTwin } from './legacy-master-file.js';

/** File name endings `index` treats as checkpoint payloads. */
export const payloadExtensions = ['.ckpt', '.safetensors', '.pt', '.pth', '.pkl', '.bin'] as const;

/** Cairn's own top-level folders other than `checkpoints/`: never indexed. */
const cairnRoots = [layout.checkpointShardsRoot, layout.runsRoot, layout.catalogRoot];

/**
 * Whether `key` is Cairn's own: anything under `checkpoint-shards/`, `runs/` or `catalog/`, and
 * under `checkpoints/` the folders of Cairn checkpoints (`checkpoints/<step>/<time id>/`). A
 * project's own `checkpoints/` folder of other files (`checkpoints/epoch=3.ckpt`) is indexed.
 */
export function isCairnKey(key: string): boolean {
  if (cairnRoots.some((root) => key.startsWith(root))) return true;
  if (!key.startsWith(layout.checkpointsRoot)) return false;
  const parts = key.slice(layout.checkpointsRoot.length).split('/');
  return parts.length >= 3 && timeIdPattern.test(parts[1] as string);
}

/** Whether `key` looks like a checkpoint payload `index` should describe. */
export function isCandidatePayload(key: string): boolean {
  const lower = key.toLowerCase();
  return (
    payloadExtensions.some((extension) => lower.endsWith(extension)) &&
    !isBackupTwin(key) &&
    !isCairnKey(key)
  );
}

/** The candidate payloads under `prefix`, in key order, from one listing. */
export async function* discoverPayloads(
  storage: Storage,
  prefix: string,
  signal: AbortSignal | undefined,
): AsyncGenerator<ObjectInfo> {
  for await (const info of storage.list({
    prefix,
    ...(signal === undefined ? {} : { signal }),
  })) {
    if (isCandidatePayload(info.key)) yield info;
  }
}
