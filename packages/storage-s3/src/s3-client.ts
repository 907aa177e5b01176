import { S3Client, type S3ClientConfig } from '@aws-sdk/client-s3';
import type { Logger, RetryPolicy } from '@cairn/kernel';
import { addKernelRetry } from './kernel-retry-middleware.js';
import type { ResolvedS3StorageOptions } from './s3-storage-options.js';

/**
 * Builds the SDK client for the storage's options: SDK retries off (the kernel's loop runs
 * inside the stack instead), the checksum modes and timeouts given, and one keep-alive pool of
 * `maxSockets` connections for every request, part uploads included.
 */
export function createS3Client(
  options: ResolvedS3StorageOptions,
  policy: RetryPolicy,
  logger: Logger,
): S3Client {
  const region =
    options.region ??
    process.env.AWS_REGION ??
    // A self-hosted store ignores the region, but the SDK signs with one and refuses none.
    (options.endpoint === undefined ? undefined : 'us-east-1');
  const config: S3ClientConfig & { expectContinueHeader: boolean } = {
    ...(region === undefined ? {} : { region }),
    ...(options.endpoint === undefined ? {} : { endpoint: options.endpoint }),
    forcePathStyle: options.forcePathStyle,
    ...(options.credentials === undefined ? {} : { credentials: { ...options.credentials } }),
    requestChecksumCalculation: options.requestChecksumCalculation,
    responseChecksumValidation: options.responseChecksumValidation,
    maxAttempts: 1,
    // With `Expect: 100-continue` (the SDK's default for bodies of 2 MiB or more), the Node
    // handler sends each such request on a fresh connection outside the pool: every part of a
    // multipart upload would open its own. Bodies are sent once they are ready instead.
    expectContinueHeader: false,
    requestHandler: {
      connectionTimeout: options.connectionTimeoutMs,
      socketTimeout: options.socketTimeoutMs,
      httpAgent: { keepAlive: true, maxSockets: options.maxSockets },
      httpsAgent: { keepAlive: true, maxSockets: options.maxSockets },
      // The handler's own warnings (a pool that is too small) go where Cairn logs, not to the
      // console a terminal UI draws on.
      logger,
    },
  };
  const client = new S3Client(config);
  addKernelRetry(client, policy, options.bucket);
  return client;
}
