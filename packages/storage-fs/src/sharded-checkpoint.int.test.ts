import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describeShardedCheckpointProcesses, tsxWriterCommand } from '@cairn/testkit';
import { createFsStorage } from './index.js';
import type { ShardStorageDescription } from './testing/shard-writer-child.js';
import { temporaryRoot } from './testing/temporary-root.js';

// Four real processes, one per rank, each save their shard of one checkpoint on one root. The
// tests are @cairn/testkit's, so storage-s3 runs the same ones on a bucket.

const packageDirectory = join(dirname(fileURLToPath(import.meta.url)), '..');
const childScript = join(packageDirectory, 'src', 'testing', 'shard-writer-child.ts');

describeShardedCheckpointProcesses({
  name: 'a checkpoint written in shards by four processes',
  open: async () => {
    const root = await temporaryRoot();
    return {
      storage: createFsStorage({ root }),
      startWriter: tsxWriterCommand(childScript, { root } satisfies ShardStorageDescription, {
        cwd: packageDirectory,
      }),
    };
  },
});
