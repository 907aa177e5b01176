import type { ObjectInfo, Storage } from '../storage/storage.js';

/**
 * The metadata entry naming the createVersion call that wrote a record: a random token per
 * call, so a writer can recognise its own record after losing the answer to its put.
 */
export const versionWriterMetadataKey = 'cairn-version-writer';

/** What identifies one createVersion call's record. */
export interface VersionClaim {
  /** The random token stored under {@link versionWriterMetadataKey}. */
  readonly writerToken: string;
  /** Hex SHA-256 of the record's bytes. */
  readonly sha256: string;
  /** Size of the record in bytes. */
  readonly size: number;
}

/**
 * The record at `key` when this call wrote it, else undefined.
 *
 * A put whose answer was lost (a timeout after the write committed, or an SDK retrying a put
 * that had already landed) comes back as `PRECONDITION_FAILED` on our own record; without
 * this check the caller would create a second version of the same content. The token decides:
 * equal bytes are not enough, because two writers may store the same body. A backend that
 * keeps no metadata cannot tell, so the number counts as someone else's: a duplicate record
 * is the lesser harm than two callers both believing they own one number.
 */
export async function readOwnRecord(
  storage: Storage,
  key: string,
  claim: VersionClaim,
): Promise<ObjectInfo | undefined> {
  const info = await storage.head(key);
  if (info === undefined) return undefined;
  if (info.metadata?.[versionWriterMetadataKey] !== claim.writerToken) return undefined;
  // The token matched; the content must too, or the record is not what this call wrote.
  if (info.size !== claim.size) return undefined;
  if (info.sha256 !== undefined && info.sha256 !== claim.sha256) return undefined;
  return info;
}
