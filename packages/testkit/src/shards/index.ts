export * from './describe-sharded-checkpoint-processes.js';
export * from './shard-bytes.js';
export * from './shard-writer.js';
export * from './shard-writer-child.js';
export * from './shard-writers.js';
export * from './sharded-checkpoint-expectations.js';
