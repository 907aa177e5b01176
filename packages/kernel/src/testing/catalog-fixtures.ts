import type { CatalogEntry } from '../catalog/catalog-entry.js';
import type { CheckpointRecord } from '../checkpoints/checkpoint-record.js';
import type { JsonValue } from '../checkpoints/json-value.js';
import { createMemoryStorage } from '../storage/memory-storage.js';
import type { GetOptions, Storage } from '../storage/storage.js';
import { type StoreUnderTest, storeOver, testRun } from './checkpoints-fixtures.js';

/** A storage that records every key read with `get`. */
export interface CountingStorage extends Storage {
  /** Keys read, in order; clear it between phases of a test. */
  readonly gets: string[];
}

/** Wraps `storage` so every `get` is recorded. */
export function countingGets(storage: Storage): CountingStorage {
  const gets: string[] = [];
  return {
    ...storage,
    gets,
    get: (key: string, options?: GetOptions) => {
      gets.push(key);
      return storage.get(key, options);
    },
  };
}

/** Sidecar keys among `keys`. */
export function sidecarReads(keys: readonly string[]): string[] {
  return keys.filter((key) => key.startsWith('checkpoints/') && key.endsWith('/checkpoint.yaml'));
}

/** Everything an async iterable yields. */
export async function collect<Item>(items: AsyncIterable<Item>): Promise<Item[]> {
  const result: Item[] = [];
  for await (const item of items) result.push(item);
  return result;
}

/** Ids of entries. */
export const idsOf = (entries: readonly { readonly id: string }[]) =>
  entries.map((entry) => entry.id);

/** What one saved checkpoint carries. */
export interface SavedSpec {
  readonly step?: string;
  readonly run?: string;
  readonly metrics?: Record<string, number>;
  readonly metadata?: Record<string, JsonValue>;
  readonly tags?: string[];
}

/** A store over a counting memory storage, and a way to save checkpoints a minute apart. */
export function catalogFixture(storage: Storage = createMemoryStorage()) {
  const counting = countingGets(storage);
  const fixture: StoreUnderTest = storeOver(counting);
  const save = async (spec: SavedSpec = {}): Promise<CheckpointRecord> => {
    await fixture.clock.advance(60_000);
    return fixture.store.save({
      run: spec.run ?? testRun,
      step: spec.step ?? 'train',
      state: { saved: fixture.clock.now() },
      metrics: spec.metrics ?? {},
      metadata: spec.metadata ?? {},
      tags: spec.tags ?? [],
    });
  };
  return { ...fixture, storage: counting, save };
}

/** The metric of entries, for compact assertions. */
export const metricOf = (entries: readonly CatalogEntry[], name: string) =>
  entries.map((entry) => entry.metrics[name]);
