import type { BigIntStats } from 'node:fs';
import type { ObjectInfo } from '@cairn/kernel';
import type { ObjectRecord } from './object-record.js';

/**
 * The etag of a file: inode, size and modification time in nanoseconds. Every put makes a
 * new file (new inode) with a modification time unique to the microsecond, so the etag
 * changes on every put, even of identical bytes.
 */
export function etagOf(stat: BigIntStats): string {
  return `"${stat.ino.toString(36)}-${stat.size.toString(36)}-${stat.mtimeNs.toString(36)}"`;
}

/**
 * An object's info from its file's stat and, when it describes that file, its record.
 * `metadata` is only filled in for `head` and `get`.
 */
export function objectInfoOf(
  key: string,
  stat: BigIntStats,
  record: ObjectRecord | undefined,
  withMetadata: boolean,
): ObjectInfo {
  return {
    key,
    size: Number(stat.size),
    etag: etagOf(stat),
    lastModified: new Date(Number(stat.mtimeNs / 1_000_000n)),
    ...(record === undefined ? {} : { sha256: record.sha256 }),
    ...(record?.contentType === undefined ? {} : { contentType: record.contentType }),
    ...(withMetadata && record?.metadata !== undefined ? { metadata: record.metadata } : {}),
  };
}
