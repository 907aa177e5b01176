import { randomBytes } from 'node:crypto';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type S3TestServer, startS3Server } from '@cairn/s3-test-server';
import { runManyVersionWriters, type VersionWriterAssignment } from '@cairn/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  describeS3Storage,
  openS3Storage,
  type S3StorageDescription,
} from './testing/s3-storage-description.js';

// Eight real processes, each with its own S3 client, create versions of one name on one
// bucket at once; only S3's conditional create (imitated in front of s3rver) keeps them apart.
const packageDirectory = join(dirname(fileURLToPath(import.meta.url)), '..');
const childScript = join(packageDirectory, 'src', 'testing', 's3-version-writer-child.ts');
const processTestTimeoutMs = 300_000;

let server: S3TestServer;

beforeAll(async () => {
  server = await startS3Server();
});

afterAll(async () => {
  await server?.stop();
});

function writerCommand(description: S3StorageDescription) {
  return (assignment: VersionWriterAssignment) => ({
    command: process.execPath,
    args: [
      '--conditions=source',
      '--import',
      'tsx',
      childScript,
      JSON.stringify(description),
      JSON.stringify(assignment),
    ],
    cwd: packageDirectory,
    env: { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
  });
}

describe('many processes creating versions of one name on one bucket', () => {
  it(
    '8 processes × 50 versions get 1…400, each exactly once, as each process reported',
    async () => {
      const description = describeS3Storage(server, `writers-${randomBytes(4).toString('hex')}/`);
      const storage = openS3Storage(description);
      try {
        const outcome = await runManyVersionWriters({
          storage,
          prefix: 'artifacts/shared-name/',
          writers: 8,
          versionsEach: 50,
          startWriter: writerCommand(description),
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
