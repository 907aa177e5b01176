import { type S3TestServer, startS3Server } from '@cairn/s3-test-server';
import { describeStorageConformance } from '@cairn/testkit';
import { afterAll } from 'vitest';
import type { S3Storage } from './index.js';
import { createTestStorage } from './testing/s3-test-storage.js';

// Against a real S3-compatible server (s3rver in a child process on loopback) with S3's
// conditional writes imitated in front of it, including the 100 MiB streamed object. Memory
// during a multipart upload is bounded by the parts in flight (about partSizeBytes ×
// (concurrency + 2) with lib-storage's chunking), not by the object: with 5 MiB parts, two at a
// time, the suite's 48 MiB headroom shows it; the defaults (8 MiB × 4) need about 60 MiB.
let server: S3TestServer | undefined;

describeStorageConformance<S3Storage>({
  name: 's3 (s3rver)',
  create: async () => {
    server = await startS3Server();
    return createTestStorage(server, { partSizeBytes: 5 * 1024 * 1024, concurrency: 2 });
  },
  capabilities: { conditionalWrites: true, rangedReads: true, sha256: false, atomicPut: true },
});

afterAll(async () => {
  await server?.stop();
});
