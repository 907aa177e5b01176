import type { CairnError } from '../errors/cairn-error.js';
import { type ItemRecord, readItemRecord } from '../items/item-record.js';
import { type ItemSegment, readItemSegment } from '../items/item-segment.js';
import type { JournalEvent, JournalEventOf, JournalEventType } from '../journal/journal-events.js';
import type { Logger } from '../logging/logger.js';
import { runKeys, sequenceOfKey } from '../naming/layout.js';
import { createMemoryStorage, type MemoryStorage } from '../storage/memory-storage.js';
import type { Storage } from '../storage/storage.js';

/** A run id the item tests share. */
export const itemsTestRun = 'items-test/20250810T143022.123Z-k3f9a2';

/** A memory storage that records what it is asked and can be told to fail puts. */
export interface WatchedStorage extends Storage {
  /** The storage underneath, to corrupt or inspect objects behind the watcher's back. */
  readonly memory: MemoryStorage;
  /** Every key read with `get`, in order. */
  readonly gets: string[];
  /** Every key written with `put` (attempted), in order. */
  readonly puts: string[];
  /** Every listing's prefix and startAfter, in order. */
  readonly lists: { readonly prefix: string | undefined; readonly startAfter?: string }[];
  /**
   * Decides per put: an error to throw before storing anything, `'lose-answer'` to store and
   * then throw a transient error (an answer lost after the commit), or undefined for a normal put.
   */
  failPut: ((key: string) => CairnError | 'lose-answer' | undefined) | undefined;
  /** When set, decides per get: an error to throw instead of reading. */
  failGet: ((key: string) => CairnError | undefined) | undefined;
  /** When set, a put waits for the promise this returns (if any) before storing anything. */
  holdPut: ((key: string) => Promise<void> | undefined) | undefined;
}

/** Wraps a fresh (or the given) memory storage as a {@link WatchedStorage}. */
export function watchedStorage(
  memory: MemoryStorage = createMemoryStorage(),
  lostAnswer?: () => CairnError,
): WatchedStorage {
  const storage: WatchedStorage = {
    ...memory,
    memory,
    gets: [],
    puts: [],
    lists: [],
    failPut: undefined,
    failGet: undefined,
    holdPut: undefined,
    put: async (key, body, options) => {
      storage.puts.push(key);
      await storage.holdPut?.(key);
      const failure = storage.failPut?.(key);
      if (failure === 'lose-answer') {
        await memory.put(key, body, options);
        throw lostAnswer?.() ?? new Error('lost answer');
      }
      if (failure !== undefined) throw failure;
      return memory.put(key, body, options);
    },
    get: async (key, options) => {
      storage.gets.push(key);
      const failure = storage.failGet?.(key);
      if (failure !== undefined) throw failure;
      return memory.get(key, options);
    },
    list: (options) => {
      storage.lists.push({
        prefix: options?.prefix,
        ...(options?.startAfter === undefined ? {} : { startAfter: options.startAfter }),
      });
      return memory.list(options);
    },
  };
  return storage;
}

/** Every item record of a step, by sequence, read straight from `memory`. */
export async function storedItemRecords(
  memory: Storage,
  step: string,
  run = itemsTestRun,
): Promise<ItemRecord[]> {
  const records: ItemRecord[] = [];
  for await (const object of memory.list({ prefix: runKeys(run).step(step).itemsPrefix })) {
    records.push(await readItemRecord(memory, run, step, sequenceOfKey(object.key) ?? 0));
  }
  return records;
}

/** Every item segment of a step, in order, read straight from `memory`. */
export async function storedItemSegments(
  memory: Storage,
  step: string,
  run = itemsTestRun,
): Promise<ItemSegment[]> {
  const segments: ItemSegment[] = [];
  for await (const object of memory.list({ prefix: runKeys(run).step(step).segmentsPrefix })) {
    segments.push(await readItemSegment(memory, object.key, sequenceOfKey(object.key) ?? 0));
  }
  return segments;
}

/** Counts workers in flight and remembers the most at once. */
export interface ConcurrencyProbe {
  /** Wraps one unit of work, counting it while it runs. */
  during<T>(work: () => Promise<T>): Promise<T>;
  /** Workers running now. */
  readonly current: number;
  /** The most that ever ran at once. */
  readonly highest: number;
}

/** Creates a {@link ConcurrencyProbe} at zero. */
export function concurrencyProbe(): ConcurrencyProbe {
  let current = 0;
  let highest = 0;
  return {
    async during(work) {
      current += 1;
      highest = Math.max(highest, current);
      try {
        return await work();
      } finally {
        current -= 1;
      }
    },
    get current() {
      return current;
    },
    get highest() {
      return highest;
    },
  };
}

/** The events of one type, narrowed. */
export function eventsOf<Type extends JournalEventType>(
  events: readonly JournalEvent[],
  type: Type,
): JournalEventOf<Type>[] {
  return events.filter((event): event is JournalEventOf<Type> => event.type === type);
}

/** Lets every already-settled promise callback run (one macrotask turn). */
export function settle(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/** A warning as a {@link recordingLogger} keeps it. */
export interface RecordedWarning {
  readonly fields: object;
  readonly message: string | undefined;
}

/** A logger that keeps its warnings (its other levels are silent). */
export function recordingLogger(): { logger: Logger; warnings: RecordedWarning[] } {
  const warnings: RecordedWarning[] = [];
  const ignore = () => {};
  const logger: Logger = {
    debug: ignore,
    info: ignore,
    warn: (fields: object | string, message?: string) => {
      warnings.push(
        typeof fields === 'string' ? { fields: {}, message: fields } : { fields, message },
      );
    },
    error: ignore,
    child: () => logger,
  };
  return { logger, warnings };
}
