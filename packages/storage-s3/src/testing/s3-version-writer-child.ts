// One writer of the many-writers test on S3, in its own Node process (through tsx):
// `node --conditions=source --import tsx s3-version-writer-child.ts '<storage>' '<assignment>'`.
import { parseVersionWriterAssignment, runVersionWriterChild } from '@cairn/testkit';
import { openS3Storage, type S3StorageDescription } from './s3-storage-description.js';

const [description, assignment] = process.argv.slice(2);
if (description === undefined || assignment === undefined) {
  throw new Error("usage: s3-version-writer-child.ts '<storage description>' '<assignment>'");
}
await runVersionWriterChild(
  () => openS3Storage(JSON.parse(description) as S3StorageDescription),
  parseVersionWriterAssignment(assignment),
);
