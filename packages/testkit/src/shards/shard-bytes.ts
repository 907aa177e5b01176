/** How many bytes each rank's shard holds by default: more than one read chunk, still quick. */
export const defaultShardSize = 300 * 1024;

/**
 * The bytes rank `rank` stores in a sharded-checkpoint test. Deterministic, so the parent knows
 * what every shard must hold without being told; different for every rank, so a shard loaded
 * for the wrong rank does not match.
 */
export function shardBytes(rank: number, size = defaultShardSize): Buffer {
  const bytes = Buffer.alloc(size);
  for (let index = 0; index < size; index++) bytes[index] = (index * 31 + rank * 17) % 251;
  return bytes;
}

/**
 * The metrics rank `rank` saves with its shard. They name the rank because a sharded
 * checkpoint keeps rank 0's labels: the committed record must show `rank: 0`.
 */
export function shardMetrics(rank: number): Record<string, number> {
  return { loss: 0.25, rank };
}
