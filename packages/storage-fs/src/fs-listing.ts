import { dirname } from 'node:path';
import {
  CairnError,
  compareKeys,
  type ListOptions,
  type ListPage,
  type ListPageOptions,
  type ObjectInfo,
  validateListOptions,
} from '@cairn/kernel';
import { cursorAfterFolder, type WalkItem, walkObjects } from './directory-walker.js';
import type { FsContext } from './fs-context.js';
import { fsStorageName } from './fs-storage-options.js';
import { errorCodeOf, mapFsError } from './map-fs-error.js';
import { objectInfoOf } from './object-info.js';
import { readTrustedRecord } from './object-record.js';

type ObjectItem = Extract<WalkItem, { kind: 'object' }>;

/** Files inspected at once while filling a page: enough to hide latency, few descriptors. */
const statConcurrency = 16;

/** Validates a listing's prefix and page size (the kernel's rules, with this backend's name). */
export function checkListOptions(options: ListOptions): { prefix: string; pageSize: number } {
  return validateListOptions(options, fsStorageName);
}

function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) {
    throw new CairnError({
      code: 'ABORTED',
      backend: fsStorageName,
      message: 'Listing was aborted.',
      cause: signal.reason,
    });
  }
}

function latest(...candidates: Array<string | undefined>): string | undefined {
  let result: string | undefined;
  for (const candidate of candidates) {
    if (candidate !== undefined && (result === undefined || compareKeys(candidate, result) > 0))
      result = candidate;
  }
  return result;
}

/**
 * Stats a batch of walked files (a few at a time) and reads their records. Files deleted
 * since the walk saw them are dropped: the listing reflects some moment during the call.
 */
async function describeBatch(context: FsContext, items: readonly ObjectItem[]) {
  const infos: Array<ObjectInfo | undefined> = new Array(items.length);
  // A folder without a record folder has no records: skip one failed open per file.
  const recordFolders = new Map<string, Promise<boolean>>();
  const hasRecordFolder = (directory: string) => {
    let known = recordFolders.get(directory);
    if (known === undefined) {
      known = context.fileSystem
        .lstat(context.layout.recordDirectory(directory))
        .then((stat) => stat.isDirectory())
        .catch(() => false);
      recordFolders.set(directory, known);
    }
    return known;
  };
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const index = next++;
      const item = items[index] as ObjectItem;
      try {
        const stat = await context.fileSystem.lstat(item.path, { bigint: true });
        if (!stat.isFile()) continue;
        const record = (await hasRecordFolder(dirname(item.path)))
          ? await readTrustedRecord(context, item.path, stat, item.key)
          : undefined;
        infos[index] = objectInfoOf(item.key, stat, record, false);
      } catch (error) {
        if (errorCodeOf(error) === 'ENOENT') continue;
        throw mapFsError(error, { operation: 'list', key: item.key, path: item.path });
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(statConcurrency, items.length) }, worker));
  return infos.filter((info): info is ObjectInfo => info !== undefined);
}

/** One page of a listing: a fresh walk from the root, resuming after the cursor. */
export async function listFsPage(context: FsContext, options: ListPageOptions): Promise<ListPage> {
  const { prefix, pageSize } = checkListOptions(options);
  throwIfAborted(options.signal);
  const after = latest(options.cursor, options.startAfter);
  const walk = walkObjects(context, context.layout.root, '', {
    prefix,
    ...(after === undefined ? {} : { after }),
    groupFolders: options.delimiter === '/',
    allowEmptyFolders: options.allowEmptyFolders === true,
  });
  const objects: ObjectItem[] = [];
  const prefixes: string[] = [];
  let cursor: string | undefined;
  let more = false;
  try {
    for await (const item of walk) {
      if (objects.length + prefixes.length === pageSize) {
        more = true;
        break;
      }
      if (item.kind === 'folder') {
        prefixes.push(item.prefix);
        cursor = cursorAfterFolder(item.prefix);
      } else {
        objects.push(item);
        cursor = item.key;
      }
    }
  } finally {
    await walk.return(undefined);
  }
  const infos = await describeBatch(context, objects);
  return { objects: infos, prefixes, ...(more && cursor !== undefined ? { cursor } : {}) };
}

/**
 * Every object in key order from one continuous walk (no restart per page, which would re-read
 * large folders), described a page at a time: memory holds one folder's names and one page.
 */
export async function* listFsObjects(
  context: FsContext,
  options: ListOptions,
): AsyncGenerator<ObjectInfo> {
  const { prefix, pageSize } = checkListOptions(options);
  throwIfAborted(options.signal);
  const walk = walkObjects(context, context.layout.root, '', {
    prefix,
    ...(options.startAfter === undefined ? {} : { after: options.startAfter }),
    groupFolders: false,
  });
  let batch: ObjectItem[] = [];
  try {
    for await (const item of walk) {
      if (item.kind !== 'object') continue;
      batch.push(item);
      if (batch.length < pageSize) continue;
      throwIfAborted(options.signal);
      yield* await describeBatch(context, batch);
      batch = [];
    }
    throwIfAborted(options.signal);
    yield* await describeBatch(context, batch);
  } finally {
    await walk.return(undefined);
  }
}
