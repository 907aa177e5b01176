// One rank of the sharded-checkpoint test, in its own Node process (through tsx, so it loads
// the TypeScript sources): `node --conditions=source --import tsx shard-writer-child.ts
// '<storage description>' '<assignment>'`. The harness (runShardWriters in @cairn/testkit) is
// backend-neutral; this script only opens the storage-fs root the description names.
import { parseShardWriterAssignment, runShardWriterChild } from '@cairn/testkit';
import { createFsStorage } from '../index.js';

/** Which storage a rank opens: the storage-fs root every rank shares. */
export interface ShardStorageDescription {
  readonly root: string;
}

const [description, assignment] = process.argv.slice(2);
if (description === undefined || assignment === undefined) {
  throw new Error("usage: shard-writer-child.ts '<storage description>' '<assignment>'");
}
const { root } = JSON.parse(description) as ShardStorageDescription;
await runShardWriterChild(() => createFsStorage({ root }), parseShardWriterAssignment(assignment));
