// One rank of the sharded-checkpoint test on S3, in its own Node process (through tsx):
// `node --conditions=source --import tsx s3-shard-writer-child.ts '<storage>' '<assignment>'`.
import { parseShardWriterAssignment, runShardWriterChild } from '@cairn/testkit';
import { openS3Storage, type S3StorageDescription } from './s3-storage-description.js';

const [description, assignment] = process.argv.slice(2);
if (description === undefined || assignment === undefined) {
  throw new Error("usage: s3-shard-writer-child.ts '<storage description>' '<assignment>'");
}
await runShardWriterChild(
  () => openS3Storage(JSON.parse(description) as S3StorageDescription),
  parseShardWriterAssignment(assignment),
);
