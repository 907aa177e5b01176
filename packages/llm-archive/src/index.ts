export * from './archive-entry.js';
export type { IndexProblem } from './archive-index.js';
export { archivePaths } from './archive-layout.js';
export { type ArchiveRepair, ArchiveWriter } from './archive-writer.js';
export { type Durability, durabilityLevels, durabilitySchema } from './durability.js';
export { type ArchiveVerification, verifyArchive } from './verify-archive.js';
