import type { MirrorContext } from './mirrored-storage-context.js';
import { recordedDigest, recordedPrimaryEtag } from './mirrored-storage-digest.js';
import type { ObjectInfo } from './storage.js';

/** A digest another copy recorded, offered for a copy that recorded none of its own. */
export interface LentDigest {
  /** Hex SHA-256 the lending copy recorded for the object it holds. */
  readonly sha256: string;
  /** Position of the lending copy. */
  readonly from: number;
  /**
   * Whether the lender provably holds the same version as the borrower: a backup the mirror
   * copied from the primary records the primary's etag, and the primary still has that etag.
   * Without this proof the lender may hold an older or newer version (an fs copy read between
   * committing its bytes and writing its record, a backup that missed a write), so a mismatch
   * says nothing about damage.
   */
  readonly proven: boolean;
}

/**
 * For copy `index`, whose `info` carries no digest: the digest another copy recorded, proven
 * when possible (only the primary can be proven, by a backup's record of its etag). Copies
 * that cannot answer simply lend nothing. Undefined when no other copy recorded a digest.
 */
export async function lendDigest(
  context: MirrorContext,
  key: string,
  index: number,
  info: ObjectInfo,
): Promise<LentDigest | undefined> {
  let unproven: LentDigest | undefined;
  for (const [lender, copy] of context.copies.entries()) {
    if (lender === index) continue;
    let lenderInfo: ObjectInfo | undefined;
    try {
      lenderInfo = await copy.head(key);
    } catch {
      continue;
    }
    const sha256 = lenderInfo === undefined ? undefined : recordedDigest(lenderInfo);
    if (lenderInfo === undefined || sha256 === undefined) continue;
    if (index === 0 && recordedPrimaryEtag(lenderInfo) === info.etag) {
      return { sha256, from: lender, proven: true };
    }
    unproven ??= { sha256, from: lender, proven: false };
  }
  return unproven;
}
