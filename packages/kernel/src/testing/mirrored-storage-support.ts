import { CairnError } from '../errors/cairn-error.js';
import { readAll } from '../storage/body.js';
import { createMemoryStorage, type MemoryStorage } from '../storage/memory-storage.js';
import { createMirroredStorage, type MirroredStorage } from '../storage/mirrored-storage.js';
import type { MirrorEvent } from '../storage/mirrored-storage-events.js';
import type { MirroredStorageOptions } from '../storage/mirrored-storage-options.js';
import type { ObjectInfo, Storage } from '../storage/storage.js';

/** A mirror over `count` memory copies that records every event it reports. */
export interface RecordedMirror {
  /** The mirror under test. */
  readonly mirror: MirroredStorage;
  /** Its copies, primary first. */
  readonly copies: MemoryStorage[];
  /** Every event, in the order reported. */
  readonly events: MirrorEvent[];
}

/** Builds a mirror over `count` fresh memory storages, collecting its events. */
export function mirrorOf(count = 2, options: Partial<MirroredStorageOptions> = {}): RecordedMirror {
  const copies = Array.from({ length: count }, () => createMemoryStorage());
  const events: MirrorEvent[] = [];
  const mirror = createMirroredStorage({
    copies,
    onEvent: (event) => events.push(event),
    ...options,
  });
  return { mirror, copies, events };
}

/** Builds a mirror over the given copies, collecting its events. */
export function mirrorOver(
  copies: Storage[],
  options: Partial<MirroredStorageOptions> = {},
): { readonly mirror: MirroredStorage; readonly events: MirrorEvent[] } {
  const events: MirrorEvent[] = [];
  const mirror = createMirroredStorage({
    copies,
    onEvent: (event) => events.push(event),
    ...options,
  });
  return { mirror, events };
}

/** The whole object at `key`, decoded as UTF-8. */
export async function text(storage: Storage, key: string): Promise<string> {
  return (await readAll((await storage.get(key)).body)).toString('utf8');
}

/** A retryable failure, as a flaky network backend raises. */
export function transientError(): CairnError {
  return new CairnError({ code: 'TRANSIENT_IO', backend: 'flaky', message: 'Connection reset.' });
}

/**
 * A view of `memory` that reports no digest of its own: neither a backend SHA-256 nor, when
 * `keepMetadata` is false, the mirror's metadata entry. Like a backend that keeps no digest, or
 * an fs copy read between committing its bytes and writing its record.
 */
export function withoutDigests(memory: MemoryStorage, keepMetadata = true): Storage {
  const strip = (info: ObjectInfo): ObjectInfo => {
    const { sha256: _sha256, metadata, ...rest } = info;
    return keepMetadata && metadata !== undefined ? { ...rest, metadata } : rest;
  };
  return {
    ...memory,
    capabilities: { ...memory.capabilities, sha256: false },
    put: async (key, body, options) => strip(await memory.put(key, body, options)),
    get: async (key, options) => {
      const result = await memory.get(key, options);
      return { ...result, info: strip(result.info) };
    },
    head: async (key) => {
      const info = await memory.head(key);
      return info === undefined ? undefined : strip(info);
    },
  };
}

/** A promise a test opens when it chooses, to hold one party of an interleaving. */
export interface Gate {
  /** Resolves once {@link Gate.open} has been called. */
  readonly opened: Promise<void>;
  /** Resolves once something has started waiting on {@link Gate.pass}. */
  readonly reached: Promise<void>;
  /** Marks the gate reached, then waits until it is opened. */
  pass(): Promise<void>;
  /** Lets every waiter through. */
  open(): void;
}

/** Creates a closed {@link Gate}. */
export function createGate(): Gate {
  let open: () => void = () => {};
  let reach: () => void = () => {};
  const opened = new Promise<void>((resolve) => {
    open = resolve;
  });
  const reached = new Promise<void>((resolve) => {
    reach = resolve;
  });
  return {
    opened,
    reached,
    pass: async () => {
      reach();
      await opened;
    },
    open,
  };
}

/** A view of `memory` whose every put fails with `error`. */
export function refusingPuts(memory: MemoryStorage, error: CairnError): Storage {
  return {
    ...memory,
    put: async () => {
      throw error;
    },
  };
}

/** A memory storage that can hide an object's recorded digest, as fs does for a moment. */
export interface RecordWindowStorage extends Storage {
  /**
   * Keys whose `get` and `head` report no digest and no metadata, like an fs object between
   * committing its bytes and writing its record.
   */
  readonly withoutRecord: Set<string>;
  /** When set, every `put` stays in the window until this gate opens, then returns. */
  holdPuts: Gate | undefined;
}

/** Wraps `memory` as a {@link RecordWindowStorage}; it claims digests, as fs does. */
export function recordWindowStorage(memory: MemoryStorage): RecordWindowStorage {
  const withoutRecord = new Set<string>();
  const strip = (info: ObjectInfo): ObjectInfo => {
    if (!withoutRecord.has(info.key)) return info;
    const { sha256: _sha256, metadata: _metadata, ...rest } = info;
    return rest;
  };
  const storage: RecordWindowStorage = {
    ...memory,
    withoutRecord,
    holdPuts: undefined,
    put: async (key, body, options) => {
      const info = await memory.put(key, body, options);
      const gate = storage.holdPuts;
      if (gate !== undefined) {
        withoutRecord.add(key);
        await gate.pass();
        withoutRecord.delete(key);
      }
      return info;
    },
    get: async (key, options) => {
      const result = await memory.get(key, options);
      return { ...result, info: strip(result.info) };
    },
    head: async (key) => {
      const info = await memory.head(key);
      return info === undefined ? undefined : strip(info);
    },
  };
  return storage;
}

/** A view of `memory` whose puts wait at `gate` before storing anything. */
export function heldPuts(memory: MemoryStorage, gate: Gate): Storage {
  return {
    ...memory,
    put: async (key, body, options) => {
      await gate.pass();
      return memory.put(key, body, options);
    },
  };
}
