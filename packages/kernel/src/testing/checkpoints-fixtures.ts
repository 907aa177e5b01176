import type { CheckpointStore } from '../checkpoints/checkpoint-store.js';
import type { CheckpointStoreOptions } from '../checkpoints/checkpoint-store-options.js';
import { createCheckpointStore } from '../checkpoints/create-checkpoint-store.js';
import type { JournalEvent } from '../journal/journal-events.js';
import { createTimeIdGenerator } from '../naming/time-id.js';
import { createMemoryStorage } from '../storage/memory-storage.js';
import type { Storage } from '../storage/storage.js';

/** A run id for tests. */
export const testRun = 'research/20250810T143022.123Z-k3f9a2';
/** Another run of the same pipeline, started a minute later. */
export const otherRun = 'research/20250810T143122.123Z-m4g0b3';

/** A clock tests move by hand, starting just after {@link testRun} began. */
export interface TestClock {
  now(): number;
  advance(milliseconds: number): void;
}

/** A manual clock at 2025-08-10T14:31:00Z. */
export function testClock(start = Date.UTC(2025, 7, 10, 14, 31, 0)): TestClock {
  let current = start;
  return {
    now: () => current,
    advance: (milliseconds) => {
      current += milliseconds;
    },
  };
}

/** A store under test, with what it emitted and what it logged as warnings. */
export interface StoreUnderTest {
  readonly store: CheckpointStore;
  readonly storage: Storage;
  readonly clock: TestClock;
  readonly events: JournalEvent[];
  readonly warnings: { fields: object; message?: string }[];
}

/** A checkpoint store over `storage` (memory by default) with a manual clock. */
export function storeOver(
  storage: Storage = createMemoryStorage(),
  options: Partial<CheckpointStoreOptions> = {},
): StoreUnderTest {
  const clock = testClock();
  const events: JournalEvent[] = [];
  const warnings: { fields: object; message?: string }[] = [];
  const logger = {
    debug: () => {},
    info: () => {},
    error: () => {},
    warn: (fields: object | string, message?: string) => {
      warnings.push(
        typeof fields === 'string'
          ? { fields: {}, message: fields }
          : { fields, ...(message === undefined ? {} : { message }) },
      );
    },
    child: () => logger,
  };
  const store = createCheckpointStore({
    storage,
    now: clock.now,
    timeIds: createTimeIdGenerator({ now: clock.now }),
    logger,
    onEvent: (event) => events.push(event),
    ...options,
  });
  return { store, storage, clock, events, warnings };
}
