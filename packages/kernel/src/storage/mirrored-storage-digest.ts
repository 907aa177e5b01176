import { createHash } from 'node:crypto';
import { Transform, type TransformCallback } from 'node:stream';
import { CairnError } from '../errors/cairn-error.js';
import type { ObjectInfo } from './storage.js';

/**
 * Metadata key under which the mirror records each object's SHA-256 on every copy, so a copy
 * whose backend keeps no digest of its own can still be verified.
 */
export const digestMetadataKey = 'cairn-sha256';

const hexDigest = /^[0-9a-f]{64}$/;

/** The digest a copy recorded for its object: the backend's own, else the mirror's metadata. */
export function recordedDigest(info: ObjectInfo): string | undefined {
  if (info.sha256 !== undefined) return info.sha256;
  const fromMetadata = info.metadata?.[digestMetadataKey];
  return fromMetadata !== undefined && hexDigest.test(fromMetadata) ? fromMetadata : undefined;
}

/**
 * Metadata key under which a backup records the etag of the primary object it was copied from.
 * A primary whose current etag equals it holds the very version that backup holds, so the
 * backup's digest may stand in for one the primary did not record (see {@link lendDigest}).
 */
export const primaryEtagMetadataKey = 'cairn-primary-etag';

/** The primary etag a backup recorded, when it was copied from the primary by the mirror. */
export function recordedPrimaryEtag(info: ObjectInfo): string | undefined {
  return info.metadata?.[primaryEtagMetadataKey];
}

/**
 * `metadata` with the mirror's own entries set: the digest (left out when not known yet) and,
 * on a backup copied from the primary, the primary's etag. Entries a caller put under those
 * names are dropped: they would vouch for bytes the mirror never checked.
 */
export function withDigestMetadata(
  metadata: Readonly<Record<string, string>> | undefined,
  sha256: string | undefined,
  primaryEtag?: string,
): Record<string, string> | undefined {
  const rest = withoutDigestMetadata(metadata);
  if (sha256 === undefined && primaryEtag === undefined) return rest;
  return {
    ...rest,
    ...(sha256 === undefined ? {} : { [digestMetadataKey]: sha256 }),
    ...(primaryEtag === undefined ? {} : { [primaryEtagMetadataKey]: primaryEtag }),
  };
}

/** `metadata` without the mirror's own entries: callers see only what they stored. */
export function withoutDigestMetadata(
  metadata: Readonly<Record<string, string>> | undefined,
): Record<string, string> | undefined {
  if (metadata === undefined) return undefined;
  const {
    [digestMetadataKey]: _recorded,
    [primaryEtagMetadataKey]: _primaryEtag,
    ...rest
  } = metadata;
  return rest;
}

/** The info a mirror hands out: digest filled in, the mirror's metadata entry hidden. */
export function publicInfo(info: ObjectInfo, sha256 = recordedDigest(info)): ObjectInfo {
  const metadata = withoutDigestMetadata(info.metadata);
  const { metadata: _stored, sha256: _reported, ...rest } = info;
  return {
    ...rest,
    ...(sha256 === undefined ? {} : { sha256 }),
    ...(metadata === undefined ? {} : { metadata }),
  };
}

/** What a {@link VerifyingTransform} checks the bytes against. */
export interface VerificationTarget {
  /** The object's key, for the error. */
  readonly key: string;
  /** Hex SHA-256 the bytes must have. */
  readonly sha256: string;
  /** The size the bytes must have. */
  readonly size: number;
  /** Backend name for the error prefix. */
  readonly backend: string;
  /** Which copy is being read, for the error message. */
  readonly copy: string;
}

/**
 * Passes bytes through while hashing them and fails the stream with `CORRUPT_DATA` when they
 * do not match at the end. The last chunk is held back until the check passes, so a consumer
 * never sees a complete, successful stream of bad bytes.
 */
export class VerifyingTransform extends Transform {
  private readonly hash = createHash('sha256');
  private bytes = 0;
  private held: Buffer | undefined;

  constructor(private readonly target: VerificationTarget) {
    super();
  }

  override _transform(chunk: Buffer | string, _encoding: BufferEncoding, done: TransformCallback) {
    const bytes = typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : chunk;
    this.hash.update(bytes);
    this.bytes += bytes.length;
    const previous = this.held;
    this.held = bytes;
    done(null, previous);
  }

  override _flush(done: TransformCallback) {
    const actual = this.hash.digest('hex');
    const { key, sha256, size, backend, copy } = this.target;
    if (actual !== sha256 || this.bytes !== size) {
      done(
        new CairnError({
          code: 'CORRUPT_DATA',
          backend,
          message: `The bytes of "${key}" from ${copy} changed while being read: expected SHA-256 ${sha256} (${size} bytes), read ${actual} (${this.bytes} bytes). Read it again; the mirror will fall back to a good copy.`,
          details: { key, expected: sha256, actual, copy },
        }),
      );
      return;
    }
    done(null, this.held);
  }
}
