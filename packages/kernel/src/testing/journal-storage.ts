import { CairnError } from '../errors/cairn-error.js';
import type { JournalEvent } from '../journal/journal-events.js';
import { openJournalWriter } from '../journal/journal-writer.js';
import { readAll } from '../storage/body.js';
import type { MemoryStorage } from '../storage/memory-storage.js';
import type { GetResult, Storage } from '../storage/storage.js';
import type { Gate } from './mirrored-storage-support.js';

/** A run id the journal tests share. */
export const journalTestRun = 'research/20250810T143022.123Z-k3f9a2';

/** What the next put of a {@link ScriptedStorage} does. */
export type PutBehaviour =
  /** Fails with TRANSIENT_IO before storing anything. */
  | 'fail'
  /** Stores the object, then fails as if the answer was lost (a timeout after the commit). */
  | 'lose-answer';

/** A memory storage whose puts can be told to fail, and which records what it was asked. */
export interface ScriptedStorage extends Storage {
  /** Behaviours for the next puts, taken first to last; an empty queue means a normal put. */
  readonly script: PutBehaviour[];
  /** Every put attempted, in order, with its body as text. */
  readonly puts: { readonly key: string; readonly body: string }[];
  /** Every key read with `get`, in order. */
  readonly gets: string[];
  /** When set, every put waits at this gate (after being recorded) before doing anything. */
  hold: Gate | undefined;
}

/** The error a scripted failure throws. */
export function scriptedFailure(): CairnError {
  return new CairnError({
    code: 'TRANSIENT_IO',
    backend: 'scripted',
    message: 'Connection reset.',
  });
}

/** Wraps `memory` as a {@link ScriptedStorage}. Bodies must be strings (the journal's are). */
export function scriptedStorage(memory: MemoryStorage): ScriptedStorage {
  const script: PutBehaviour[] = [];
  const puts: { key: string; body: string }[] = [];
  const gets: string[] = [];
  const storage: ScriptedStorage = {
    ...memory,
    script,
    puts,
    gets,
    hold: undefined,
    put: async (key, body, options) => {
      puts.push({ key, body: typeof body === 'string' ? body : '(not a string)' });
      await storage.hold?.pass();
      const behaviour = script.shift();
      if (behaviour === 'fail') throw scriptedFailure();
      const info = await memory.put(key, body, options);
      if (behaviour === 'lose-answer') throw scriptedFailure();
      return info;
    },
    get: async (key, options): Promise<GetResult> => {
      gets.push(key);
      return memory.get(key, options);
    },
  };
  return storage;
}

/** A heartbeat, the smallest valid event. */
export const heartbeat: JournalEvent = { type: 'run-heartbeat' };

/**
 * Writes a journal of `segmentSizes[i]` heartbeats in segment `i + 1`, optionally ending with a
 * `run-finished` event in the last segment; returns the writer's final head.
 */
export async function writeTestJournal(
  storage: Storage,
  segmentSizes: readonly number[],
  options: { readonly run?: string; readonly finished?: boolean } = {},
): Promise<{ entries: number; hash: string }> {
  const writer = await openJournalWriter({
    storage,
    run: options.run ?? journalTestRun,
    flushIntervalMs: 3_600_000,
    maxBufferedEntries: 100_000,
  });
  for (const [index, size] of segmentSizes.entries()) {
    for (let count = 0; count < size; count += 1) writer.append(heartbeat);
    if (options.finished === true && index === segmentSizes.length - 1) {
      writer.append({ type: 'run-finished', state: 'COMPLETED', durationMs: 1 });
    }
    await writer.flush();
  }
  await writer.close();
  return writer.head;
}

/** The lines of the object at `key` (without the final empty string after the last newline). */
export async function storedLines(storage: Storage, key: string): Promise<string[]> {
  const text = (await readAll((await storage.get(key)).body)).toString('utf8');
  const lines = text.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  return lines;
}
