import { S3Client, type S3ClientConfig } from '@aws-sdk/client-s3';
import type { RetryPolicy } from '@cairn/kernel';
import { addKernelRetry } from './kernel-retry-middleware.js';
import type { ResolvedS3StorageOptions } from './s3-storage-options.js';

/**
 * Builds the SDK client for the storage's options: SDK retries off (the kernel's loop runs
 * inside the stack instead), the checksum modes and timeouts given, and a connection pool
 * sized for part uploads in parallel.
 */
export function createS3Client(options: ResolvedS3StorageOptions, policy: RetryPolicy): S3Client {
  const region =
    options.region ??
    process.env.AWS_REGION ??
    process.env.AWS_DEFAULT_REGION ??
    // A self-hosted store ignores the region, but the SDK signs with one and refuses none.
    (options.endpoint === undefined ? undefined : 'us-east-1');
  const config: S3ClientConfig = {
    ...(region === undefined ? {} : { region }),
    ...(options.endpoint === undefined ? {} : { endpoint: options.endpoint }),
    forcePathStyle: options.forcePathStyle,
    ...(options.credentials === undefined ? {} : { credentials: { ...options.credentials } }),
    requestChecksumCalculation: options.requestChecksumCalculation,
    responseChecksumValidation: options.responseChecksumValidation,
    maxAttempts: 1,
    requestHandler: {
      connectionTimeout: options.connectionTimeoutMs,
      socketTimeout: options.socketTimeoutMs,
      httpAgent: { keepAlive: true, maxSockets: options.maxSockets },
      httpsAgent: { keepAlive: true, maxSockets: options.maxSockets },
    },
  };
  const client = new S3Client(config);
  addKernelRetry(client, policy, options.bucket);
  return client;
}
