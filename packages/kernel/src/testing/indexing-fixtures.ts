import { readdir, readFile } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { MetadataSubject } from '../catalog/metadata-source.js';
import { createMemoryStorage, type MemoryStorage } from '../storage/memory-storage.js';
import type { DeleteOptions, PutOptions, Storage, StorageBody } from '../storage/storage.js';

/** The folder of the committed fixture trees (written by `fixtures/make-fixtures.py`). */
export const indexingFixturesFolder = fileURLToPath(
  new URL('../indexing/fixtures/', import.meta.url),
);

/** One of the fixture trees. */
export type FixtureTree = 'lightning' | 'hydra' | 'safetensors' | 'legacy';

/** Every file of a fixture tree, by its key relative to the tree (`/`-separated). */
export async function fixtureFiles(tree: FixtureTree): Promise<Map<string, Buffer>> {
  const root = join(indexingFixturesFolder, tree);
  const files = new Map<string, Buffer>();
  const walk = async (folder: string): Promise<void> => {
    for (const entry of await readdir(folder, { withFileTypes: true })) {
      const path = join(folder, entry.name);
      if (entry.isDirectory()) await walk(path);
      else files.set(relative(root, path).split(sep).join('/'), await readFile(path));
    }
  };
  await walk(root);
  return files;
}

/** A memory storage holding a fixture tree (and, when given, other trees under their names). */
export async function loadFixtureTree(
  tree: FixtureTree,
  storage: MemoryStorage = createMemoryStorage(),
  prefix = '',
): Promise<MemoryStorage> {
  for (const [key, bytes] of await fixtureFiles(tree)) await storage.put(`${prefix}${key}`, bytes);
  return storage;
}

/** A subject for `payloadKey` in `storage`. */
export function subjectOf(storage: Storage, payloadKey: string): MetadataSubject {
  return { storage, payloadKey };
}

/** A storage that records every write and delete. */
export interface RecordingStorage extends Storage {
  /** Keys written, in order. */
  readonly puts: string[];
  /** Keys deleted, in order. */
  readonly deletes: string[];
}

/** Wraps `storage` so every `put` and `delete` is recorded. */
export function recordingWrites(storage: Storage): RecordingStorage {
  const puts: string[] = [];
  const deletes: string[] = [];
  return {
    ...storage,
    puts,
    deletes,
    put: (key: string, body: StorageBody, options?: PutOptions) => {
      puts.push(key);
      return storage.put(key, body, options);
    },
    delete: (key: string, options?: DeleteOptions) => {
      deletes.push(key);
      return storage.delete(key, options);
    },
  };
}
