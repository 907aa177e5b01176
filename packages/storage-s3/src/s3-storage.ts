import type { S3Client } from '@aws-sdk/client-s3';
import {
  type AttemptListener,
  createRetryPolicy,
  type ListOptions,
  type Logger,
  listFromPages,
  maxKeyBytes,
  type Storage,
  type StorageCapabilities,
  silentLogger,
} from '@cairn/kernel';
import { deleteObject } from './delete-object.js';
import { getObject, headObject } from './get-object.js';
import { listObjectsPage } from './list-objects.js';
import { putObject } from './put-object.js';
import { createS3Client } from './s3-client.js';
import type { S3Context } from './s3-context.js';
import {
  parseS3StorageOptions,
  type ResolvedS3StorageOptions,
  type S3StorageOptions,
  s3StorageName,
} from './s3-storage-options.js';

/** What a caller can observe of an S3 storage at work. */
export interface S3StorageHooks {
  /** Where retries and the SDK handler's warnings are logged; silent by default. */
  readonly logger?: Logger;
  /**
   * Receives every attempt of every request (the kernel's {@link AttemptListener}), to count
   * or journal retries.
   */
  readonly onAttempt?: AttemptListener;
}

function withoutCredentials(
  options: ResolvedS3StorageOptions,
): Omit<ResolvedS3StorageOptions, 'credentials'> {
  const { credentials: _secret, ...rest } = options;
  return rest;
}

function describeAttemptError(error: unknown): string | undefined {
  return error instanceof Error ? error.message : undefined;
}

/** A storage on an S3 bucket, with what it was opened with. */
export interface S3Storage extends Storage {
  /**
   * The options after validation, without `credentials`: a storage that ends up in a log line
   * or an error's details must not carry them.
   */
  readonly options: Readonly<Omit<ResolvedS3StorageOptions, 'credentials'>>;
  /** The SDK client it sends requests through (the kernel retry loop is in its stack). */
  readonly client: S3Client;
  /** Closes the client's connections. Calls after it are not supported. */
  close(): Promise<void>;
}

/**
 * Opens a storage on an S3 bucket (AWS S3, MinIO, R2, Ceph…). Nothing is sent until the first
 * operation; the bucket must exist.
 *
 * @throws CairnError `INVALID_OPTIONS` naming every option that is wrong.
 *
 * @example
 * const storage = createS3Storage({ bucket: 'ml-runs', prefix: 'team-a/', region: 'eu-west-1' });
 * await storage.put('hello.txt', 'hello');
 */
export function createS3Storage(options: S3StorageOptions, hooks: S3StorageHooks = {}): S3Storage {
  const resolved = parseS3StorageOptions(options);
  const logger = (hooks.logger ?? silentLogger).child({ backend: s3StorageName });
  const policy = createRetryPolicy({
    ...resolved.retry,
    onAttempt: (event) => {
      // Every retry is worth a line: a store that throttles or drops connections shows here
      // long before it makes a put fail.
      if (event.outcome === 'failure' && event.delayMs !== undefined) {
        logger.warn(
          {
            attempt: event.attempt,
            delayMs: event.delayMs,
            error: describeAttemptError(event.error),
          },
          's3 request failed; retrying',
        );
      }
      try {
        hooks.onAttempt?.(event);
      } catch (error) {
        // A broken listener must not turn into a failed request.
        logger.warn({ error: describeAttemptError(error) }, 'onAttempt listener threw');
      }
    },
  });
  const client = createS3Client(resolved, policy, logger);
  const context: S3Context = {
    client,
    options: resolved,
    policy,
    maxKeyBytes: maxKeyBytes - Buffer.byteLength(resolved.prefix, 'utf8'),
  };
  const capabilities: StorageCapabilities = {
    conditionalWrites: resolved.conditionalWrites,
    rangedReads: true,
    // Recorded for objects up to one part and for any put given `expectedSha256`; a longer
    // stream's digest is only known after its metadata was sent, so it is not promised.
    sha256: false,
    atomicPut: true,
    maxKeyBytes: context.maxKeyBytes,
  };
  let closed = false;
  return {
    name: s3StorageName,
    capabilities,
    options: withoutCredentials(resolved),
    client,
    put: (key, body, putOptions) => putObject(context, key, body, putOptions),
    get: (key, getOptions) => getObject(context, key, getOptions),
    head: (key) => headObject(context, key),
    listPage: (listOptions) => listObjectsPage(context, listOptions),
    list: (listOptions: ListOptions = {}) =>
      listFromPages((page) => listObjectsPage(context, page), listOptions, s3StorageName),
    delete: (key, deleteOptions) => deleteObject(context, key, deleteOptions),
    async close() {
      if (closed) return;
      closed = true;
      client.destroy();
    },
  };
}
