import type { S3TestServer } from '@cairn/s3-test-server';
import { createS3Storage, type S3Storage } from '../index.js';

/**
 * Which S3 storage the processes of a many-writers test share, as JSON a child process takes
 * on its command line: the test server's address and one prefix for every process.
 */
export interface S3StorageDescription {
  readonly endpoint: string;
  readonly region: string;
  readonly bucket: string;
  readonly prefix: string;
  readonly credentials: { readonly accessKeyId: string; readonly secretAccessKey: string };
}

/** The description of a storage on `server` under `prefix`. */
export function describeS3Storage(server: S3TestServer, prefix: string): S3StorageDescription {
  const config = server.clientConfig();
  return {
    endpoint: config.endpoint,
    region: config.region,
    bucket: server.buckets[0] as string,
    prefix,
    credentials: config.credentials,
  };
}

/** Opens the storage a description names, in this process. */
export function openS3Storage(description: S3StorageDescription): S3Storage {
  return createS3Storage({
    ...description,
    credentials: { ...description.credentials },
    forcePathStyle: true,
    // s3rver needs them (see TOOLCHAIN.md); so do many S3-compatible stores.
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  });
}
