export * from './shard-bytes.js';
export * from './shard-writer.js';
export * from './shard-writer-child.js';
export * from './shard-writers.js';
