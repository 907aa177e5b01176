import { idOfSidecarKey } from '../checkpoints/discover-checkpoints.js';
import { readSidecarFrom } from '../checkpoints/read-sidecar.js';
import { stepCheckpointsPrefix } from '../naming/layout.js';
import type { Storage } from '../storage/storage.js';
import type { IndexedCheckpoint } from './index-report.js';

/**
 * Sidecars an earlier `index` wrote for payloads under `prefix` that are gone now (deleted or
 * moved): left alone, the catalog would list checkpoints whose bytes no longer exist. Only
 * sidecars with an `external` payload under `prefix` are candidates, never one Cairn wrote.
 */
export async function findStaleSidecars(
  storage: Storage,
  steps: Iterable<string>,
  prefix: string,
  present: ReadonlySet<string>,
  signal: AbortSignal | undefined,
): Promise<IndexedCheckpoint[]> {
  const stale: IndexedCheckpoint[] = [];
  for (const step of steps) {
    for await (const info of storage.list({
      prefix: stepCheckpointsPrefix(step),
      ...(signal === undefined ? {} : { signal }),
    })) {
      const id = idOfSidecarKey(info.key);
      if (id === undefined) continue;
      const reading = await readSidecarFrom(storage, id, signal);
      if (reading.status !== 'found') continue;
      const external = reading.record.external;
      if (external === undefined || !external.key.startsWith(prefix) || present.has(external.key))
        continue;
      // The payload may still exist under a name index no longer picks (say, a new suffix rule):
      // only a payload truly gone makes its sidecar stale.
      if ((await storage.head(external.key)) !== undefined) continue;
      stale.push({
        id,
        payloadKey: external.key,
        sidecarKey: info.key,
        source: reading.record.indexed?.source ?? 'unknown',
        record: reading.record,
      });
    }
  }
  return stale;
}
