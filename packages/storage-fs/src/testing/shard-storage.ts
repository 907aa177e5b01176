import type { Storage } from '@cairn/kernel';
import { createFsStorage } from '../index.js';

/**
 * Which storage the processes of a sharded-checkpoint test share, as JSON that a child process
 * takes on its command line. The one place a test picks its backend: an S3 description can be
 * added here and the same test run against a bucket.
 */
export type SharedStorageDescription = { readonly kind: 'fs'; readonly root: string };

/** Opens the storage a description names, in this process. */
export function openSharedStorage(description: SharedStorageDescription): Storage {
  switch (description.kind) {
    case 'fs':
      return createFsStorage({ root: description.root });
  }
}

/** Parses a description given on the command line. */
export function parseSharedStorage(json: string): SharedStorageDescription {
  const value = JSON.parse(json) as Partial<SharedStorageDescription>;
  if (value.kind === 'fs' && typeof value.root === 'string')
    return { kind: 'fs', root: value.root };
  throw new Error(`not a storage description: ${json}`);
}

/** The bytes rank `rank` stores: deterministic, so the parent knows what every shard holds. */
export function shardBytes(rank: number, size = 300 * 1024): Buffer {
  const bytes = Buffer.alloc(size);
  for (let index = 0; index < size; index++) bytes[index] = (index * 31 + rank * 17) % 251;
  return bytes;
}
