// Run by sharded-checkpoint.int.test.ts in a separate process: one rank of a data-parallel
// job. `shard-writer-child.ts <storage description JSON> <run> <name> <rank> <worldSize>
// [skip]` saves this rank's shard (or, with `skip`, nothing: a rank that died before saving)
// and prints one JSON line with what it learned.
import { createCheckpointStore } from '@cairn/kernel';
import { openSharedStorage, parseSharedStorage, shardBytes } from './shard-storage.js';

const [description, run, name, rank, worldSize, mode] = process.argv.slice(2);
if (
  description === undefined ||
  run === undefined ||
  name === undefined ||
  rank === undefined ||
  worldSize === undefined
) {
  throw new Error('usage: shard-writer-child.ts <storage> <run> <name> <rank> <worldSize> [skip]');
}
const storage = openSharedStorage(parseSharedStorage(description));
const store = createCheckpointStore({ storage });

if (mode === 'skip') {
  process.stdout.write(`${JSON.stringify({ rank: Number(rank), skipped: true })}\n`);
} else {
  const saved = await store.saveShard({
    run,
    step: 'train',
    name,
    rank: Number(rank),
    worldSize: Number(worldSize),
    body: shardBytes(Number(rank)),
    metrics: { loss: 0.25 },
  });
  process.stdout.write(
    `${JSON.stringify({
      rank: saved.rank,
      id: saved.id,
      sha256: saved.sha256,
      shardsPresent: saved.shardsPresent,
      committed: saved.committed !== undefined,
    })}\n`,
  );
}
await storage.close?.();
