import { type S3TestServer, startS3Server } from '@cairn/s3-test-server';
import { describeStorageConformance } from '@cairn/testkit';
import { afterAll } from 'vitest';
import type { S3Storage } from './index.js';
import { createTestStorage } from './testing/s3-test-storage.js';

// Against a real S3-compatible server (s3rver in a child process on loopback) with S3's
// conditional writes imitated in front of it, including the 100 MiB streamed object.
let server: S3TestServer | undefined;

describeStorageConformance<S3Storage>({
  name: 's3 (s3rver)',
  create: async () => {
    server = await startS3Server();
    return createTestStorage(server);
  },
  capabilities: { conditionalWrites: true, rangedReads: true, sha256: false, atomicPut: true },
});

afterAll(async () => {
  await server?.stop();
});
