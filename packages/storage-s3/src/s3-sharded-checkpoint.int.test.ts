import { randomBytes } from 'node:crypto';
import { describeShardedCheckpointProcesses } from '@cairn/testkit';
import { describeS3Storage, openS3Storage } from './testing/s3-storage-description.js';
import { s3WriterCommand } from './testing/s3-writer-command.js';
import { useS3TestServer } from './testing/use-s3-test-server.js';

// Four real processes, one per rank and each with its own S3 client, save their shard of one
// checkpoint on one bucket: the commit marker is created once, when every shard is present,
// and a rank that never writes leaves the checkpoint uncommitted. Same tests as storage-fs.
const server = useS3TestServer();

describeShardedCheckpointProcesses({
  name: 'a checkpoint written in shards by four processes on one bucket',
  // A fresh prefix of the bucket per test, so the two tests never see each other.
  open: async () => {
    const description = describeS3Storage(server(), `shards-${randomBytes(4).toString('hex')}/`);
    return {
      storage: openS3Storage(description),
      startWriter: s3WriterCommand('s3-shard-writer-child.ts', description),
    };
  },
});
