export * from './body.js';
export * from './get-options.js';
export * from './keys.js';
export * from './list-options.js';
export * from './list-pages.js';
export * from './memory-storage.js';
export { createMirroredStorage, type MirroredStorage } from './mirrored-storage.js';
export { digestMetadataKey, primaryEtagMetadataKey } from './mirrored-storage-digest.js';
export type {
  CopyCorruptEvent,
  CopyMissingEvent,
  CopyRepairedEvent,
  CopyStaleEvent,
  CopyUnreadableEvent,
  CopyUnverifiedEvent,
  CopyWriteFailedEvent,
  MirrorCopyReference,
  MirrorEvent,
  MirrorEventListener,
  RepairFailedEvent,
} from './mirrored-storage-events.js';
export {
  defaultBufferLimitBytes,
  type MirroredStorageOptions,
  mirroredStorageName,
  mirroredStorageOptionsSchema,
} from './mirrored-storage-options.js';
export type { ScrubFinding, ScrubOptions, ScrubReport } from './mirrored-storage-scrub.js';
export * from './put-options.js';
export type * from './storage.js';
export * from './storage-shape.js';
