import { randomBytes } from 'node:crypto';
import { runManyVersionWriters } from '@cairn/testkit';
import { describe, expect, it } from 'vitest';
import { describeS3Storage, openS3Storage } from './testing/s3-storage-description.js';
import { s3WriterCommand } from './testing/s3-writer-command.js';
import { useS3TestServer } from './testing/use-s3-test-server.js';

// Eight real processes, each with its own S3 client, create versions of one name on one
// bucket at once; only S3's conditional create (imitated in front of s3rver) keeps them apart.
const processTestTimeoutMs = 300_000;

const server = useS3TestServer();

describe('many processes creating versions of one name on one bucket', () => {
  it(
    '8 processes × 50 versions get 1…400, each exactly once, as each process reported',
    async () => {
      const description = describeS3Storage(server(), `writers-${randomBytes(4).toString('hex')}/`);
      const storage = openS3Storage(description);
      try {
        const outcome = await runManyVersionWriters({
          storage,
          prefix: 'artifacts/shared-name/',
          writers: 8,
          versionsEach: 50,
          startWriter: s3WriterCommand('s3-version-writer-child.ts', description),
        });
        expect(outcome.problems).toEqual([]);
        expect(outcome.stored.map((entry) => entry.version)).toEqual(
          Array.from({ length: 400 }, (_, index) => index + 1),
        );
        expect(outcome.reports.flatMap((report) => report.versions)).toHaveLength(400);
      } finally {
        await storage.close();
      }
    },
    processTestTimeoutMs,
  );
});
