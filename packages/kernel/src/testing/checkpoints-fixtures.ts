import type { CheckpointStore } from '../checkpoints/checkpoint-store.js';
import type { CheckpointStoreOptions } from '../checkpoints/checkpoint-store-options.js';
import { createCheckpointStore } from '../checkpoints/create-checkpoint-store.js';
import type { JournalEvent } from '../journal/journal-events.js';
import type { Logger } from '../logging/logger.js';
import { createTimeIdGenerator } from '../naming/time-id.js';
import { createManualClock, type ManualClock } from '../retry/manual-clock.js';
import { readAll } from '../storage/body.js';
import { createMemoryStorage } from '../storage/memory-storage.js';
import type { Storage } from '../storage/storage.js';

/** A run id for tests, started at 2025-08-10T14:30:22.123Z. */
export const testRun = 'research/20250810T143022.123Z-k3f9a2';
/** Another run of the same pipeline, started a minute later. */
export const otherRun = 'research/20250810T143122.123Z-m4g0b3';
/** When the tests' clocks start: a little after both runs began. */
export const testStart = Date.UTC(2025, 7, 10, 14, 32, 0);

/** One warning the store logged. */
export interface LoggedWarning {
  readonly fields: Record<string, unknown>;
  readonly message: string | undefined;
}

/** A store under test, with what it emitted and what it logged as warnings. */
export interface StoreUnderTest {
  readonly store: CheckpointStore;
  readonly storage: Storage;
  readonly clock: ManualClock;
  readonly events: JournalEvent[];
  readonly warnings: LoggedWarning[];
}

/** A logger that records warnings and drops the rest. */
export function warningRecorder(warnings: LoggedWarning[]): Logger {
  const ignore = () => {};
  const logger: Logger = {
    debug: ignore,
    info: ignore,
    error: ignore,
    warn: (fields: object | string, message?: string) => {
      warnings.push(
        typeof fields === 'string'
          ? { fields: {}, message: fields }
          : { fields: fields as Record<string, unknown>, message },
      );
    },
    child: () => logger,
  };
  return logger;
}

/**
 * A checkpoint store over `storage` (memory by default) with a manual clock that drives both
 * `createdAt` and the ids, recording its journal events and warnings.
 */
export function storeOver(
  storage: Storage = createMemoryStorage(),
  options: Partial<CheckpointStoreOptions> = {},
): StoreUnderTest {
  const clock = createManualClock(testStart);
  const events: JournalEvent[] = [];
  const warnings: LoggedWarning[] = [];
  const store = createCheckpointStore({
    storage,
    now: () => clock.now(),
    timeIds: createTimeIdGenerator({ now: () => clock.now() }),
    logger: warningRecorder(warnings),
    onEvent: (event) => events.push(event),
    ...options,
  });
  return { store, storage, clock, events, warnings };
}

/** Every key in `storage`, sorted. */
export async function keysOf(storage: Storage, prefix = ''): Promise<string[]> {
  const keys: string[] = [];
  for await (const info of storage.list({ prefix })) keys.push(info.key);
  return keys;
}

/** The whole object at `key`. */
export async function bytesAt(storage: Storage, key: string): Promise<Buffer> {
  return readAll((await storage.get(key)).body);
}

/** `bytes` with one bit flipped at `position` (from the end when negative). */
export function flipBit(bytes: Uint8Array, position = 0): Buffer {
  const copy = Buffer.from(bytes);
  const index = position < 0 ? copy.length + position : position;
  copy[index] = (copy[index] ?? 0) ^ 0x01;
  return copy;
}
