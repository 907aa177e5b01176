import { randomBytes } from 'node:crypto';
import type { S3TestServer } from '@cairn/s3-test-server';
import {
  createS3Storage,
  type S3Storage,
  type S3StorageHooks,
  type S3StorageOptions,
} from '../index.js';

/**
 * A storage on the test server under a fresh prefix, so tests sharing a server never see each
 * other's keys. `endpoint` may point at a fault proxy in front of the server.
 */
export function createTestStorage(
  server: S3TestServer,
  overrides: Partial<S3StorageOptions> = {},
  hooks: S3StorageHooks = {},
): S3Storage {
  const config = server.clientConfig();
  return createS3Storage(
    {
      bucket: server.buckets[0] as string,
      prefix: `test-${randomBytes(6).toString('hex')}/`,
      endpoint: config.endpoint,
      region: config.region,
      forcePathStyle: true,
      credentials: config.credentials,
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
      ...overrides,
    },
    hooks,
  );
}
