export {
  type CheckpointRecord,
  type CommittedShard,
  checkpointFormat,
  checkpointRecordSchema,
  type ExternalPayload,
  externalPayloadSchema,
  formatSidecar,
  type IndexedFrom,
  indexedFromSchema,
  maxWorldSize,
  parseSidecar,
  type Sharding,
  type SidecarParse,
  shardListDigest,
} from './checkpoint-record.js';
export type * from './checkpoint-store.js';
export {
  type CheckpointStoreOptions,
  checkpointStoreOptionsSchema,
} from './checkpoint-store-options.js';
export { checkpointsBackend } from './checkpoints-backend.js';
export { type Codec, jsonCodec, rawCodec } from './codec.js';
export { createCheckpointStore } from './create-checkpoint-store.js';
export type { JsonValue } from './json-value.js';
export { readSidecarFrom, type SidecarReading } from './read-sidecar.js';
export {
  keepBest,
  keepEvery,
  keepLast,
  type PruneReport,
  type PruneRequest,
  type RetentionRule,
  retentionRuleSchema,
} from './retention.js';
export { maxCheckpointMetadataBytes } from './save-input.js';
