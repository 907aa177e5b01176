import type { S3Client } from '@aws-sdk/client-s3';
import type { RetryPolicy } from '@cairn/kernel';
import type { ResolvedS3StorageOptions } from './s3-storage-options.js';

/** What every operation of one S3 storage shares. */
export interface S3Context {
  /** The SDK client, with the kernel retry loop in its stack. */
  readonly client: S3Client;
  /** The validated options. */
  readonly options: ResolvedS3StorageOptions;
  /** The kernel retry policy, also used to resume interrupted reads. */
  readonly policy: RetryPolicy;
  /** Longest storage key, in UTF-8 bytes, once the prefix has taken its share of S3's 1024. */
  readonly maxKeyBytes: number;
}

/** Metadata under which a put records the SHA-256 it verified before the object became visible. */
export const contentDigestMetadataKey = 'cairn-content-sha256';

/**
 * Metadata under which every put records a token unique to that put, so a put whose answer was
 * lost (a reset, a 5xx or an abort after the store committed it) can tell its own object from
 * another writer's. Short: S3 allows 2 KiB of metadata, and the mirror adds its own entries.
 */
export const writeTokenMetadataKey = 'cairn-write';

/** Metadata names the backend sets itself and hides from callers. */
export const ownMetadataKeys: ReadonlySet<string> = new Set([
  contentDigestMetadataKey,
  writeTokenMetadataKey,
]);

/** The S3 key of a storage key. */
export function s3KeyOf(context: S3Context, key: string): string {
  return `${context.options.prefix}${key}`;
}

/** The storage key of an S3 key listed under the prefix. */
export function storageKeyOf(context: S3Context, s3Key: string): string {
  return s3Key.slice(context.options.prefix.length);
}
