import type { Storage } from '../storage/storage.js';

/** An interval no test reaches: the run neither beats nor flushes by itself. */
export const never = 3_600_000;

/**
 * `startRun` options for a run whose heartbeat and journal flush never fire on their own, so
 * a test decides every write of the run record.
 */
export function quietRunOptions(storage: Storage) {
  return {
    storage,
    pipeline: 'train',
    heartbeatIntervalMs: never,
    journalFlushIntervalMs: never,
  } as const;
}
