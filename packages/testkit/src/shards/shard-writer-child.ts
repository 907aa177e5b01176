import type { Storage } from '@cairn/kernel';
import { sendReport, waitForRelease } from '../processes/release-signal.js';
import { type ShardWriterAssignment, writeShard } from './shard-writer.js';

/**
 * The child's side of {@link runShardWriters}, for a small script per backend that opens its
 * storage from a description and hands it here:
 *
 * ```ts
 * const [description, assignment] = process.argv.slice(2);
 * await runShardWriterChild(() => openMyStorage(JSON.parse(description)), parseShardWriterAssignment(assignment));
 * ```
 *
 * It prints `{"ready":true}` once the storage is open, waits for a `go` line on stdin (so the
 * ranks save at the same moment, however long each took to boot), saves its shard (see
 * {@link writeShard}) and prints `{"report":…}`. A failure is thrown: the process exits
 * non-zero and the parent shows its stderr.
 */
export async function runShardWriterChild(
  openStorage: () => Storage | Promise<Storage>,
  assignment: ShardWriterAssignment,
): Promise<void> {
  const storage = await openStorage();
  try {
    await waitForRelease();
    sendReport(await writeShard(storage, assignment));
  } finally {
    await storage.close?.();
  }
}

/**
 * Reads the assignment {@link runShardWriters} passes to a child as JSON.
 * @throws Error when the text is not an assignment.
 */
export function parseShardWriterAssignment(text: string | undefined): ShardWriterAssignment {
  const value = JSON.parse(text ?? 'null') as Partial<ShardWriterAssignment> | null;
  if (
    value === null ||
    typeof value.run !== 'string' ||
    typeof value.step !== 'string' ||
    typeof value.name !== 'string' ||
    !Number.isInteger(value.rank) ||
    !Number.isInteger(value.worldSize) ||
    typeof value.skip !== 'boolean'
  ) {
    throw new Error(`not a shard writer assignment: ${text}`);
  }
  return {
    run: value.run,
    step: value.step,
    name: value.name,
    rank: value.rank as number,
    worldSize: value.worldSize as number,
    skip: value.skip,
  };
}
