import { Transform, type TransformCallback } from 'node:stream';
import type { CairnError } from '../errors/cairn-error.js';
import { toReadable } from '../storage/body.js';
import type { MemoryStorage } from '../storage/memory-storage.js';
import type { Storage, StorageBody } from '../storage/storage.js';

/** Which keys a fault applies to. */
export type KeyMatcher = (key: string) => boolean;

/** Matches checkpoint payload keys. */
export const payloadKeys: KeyMatcher = (key) => key.endsWith('/payload');
/** Matches checkpoint sidecar keys. */
export const sidecarKeys: KeyMatcher = (key) => key.endsWith('/checkpoint.yaml');

/** Flips the lowest bit of the first byte that passes through. */
class FirstByteFlipper extends Transform {
  private flipped = false;
  override _transform(chunk: Buffer, _encoding: BufferEncoding, done: TransformCallback): void {
    if (this.flipped || chunk.length === 0) {
      done(null, chunk);
      return;
    }
    this.flipped = true;
    const copy = Buffer.from(chunk);
    copy[0] = (copy[0] ?? 0) ^ 0x01;
    done(null, copy);
  }
}

/**
 * A view of `memory` that damages what it is given to store for matching keys, and records
 * the digest of the damaged bytes as its own: a backend that silently stores other bytes than
 * it received (a bad disk, a buggy proxy).
 */
export function corruptingWrites(memory: MemoryStorage, matches: KeyMatcher): Storage {
  return {
    ...memory,
    put: (key: string, body: StorageBody, options) =>
      matches(key)
        ? memory.put(key, toReadable(body).pipe(new FirstByteFlipper()), options)
        : memory.put(key, body, options),
  };
}

/**
 * A view of `memory` that stores faithfully and reports the right info, but serves damaged
 * bytes for matching keys: a flaky read path.
 */
export function corruptingReads(memory: MemoryStorage, matches: KeyMatcher): Storage {
  return {
    ...memory,
    get: async (key, options) => {
      const result = await memory.get(key, options);
      if (!matches(key)) return result;
      return { ...result, body: result.body.pipe(new FirstByteFlipper()) };
    },
  };
}

/** A view of `memory` whose puts to matching keys fail with `error` after storing nothing. */
export function failingPuts(
  memory: MemoryStorage,
  matches: KeyMatcher,
  error: CairnError,
): Storage {
  return {
    ...memory,
    put: async (key, body, options) => {
      if (!matches(key)) return memory.put(key, body, options);
      toReadable(body).destroy();
      throw error;
    },
  };
}

/**
 * A view of `memory` whose puts to matching keys store the object and then fail with `error`,
 * like a request that timed out after the server committed it.
 */
export function puttingThenFailing(
  memory: MemoryStorage,
  matches: KeyMatcher,
  error: CairnError,
): Storage {
  return {
    ...memory,
    put: async (key, body, options) => {
      const info = await memory.put(key, body, options);
      if (matches(key)) throw error;
      return info;
    },
  };
}

/** A view of `memory` recording every delete, in order. */
export function recordingDeletes(memory: MemoryStorage): Storage & { readonly deleted: string[] } {
  const deleted: string[] = [];
  return {
    ...memory,
    deleted,
    delete: async (key, options) => {
      deleted.push(key);
      return memory.delete(key, options);
    },
  };
}
