export type { FileSystem } from './file-system.js';
export { nodeFileSystem } from './file-system.js';
export type { FsStorage, FsStorageHooks } from './fs-storage.js';
export { createFsStorage } from './fs-storage.js';
export type { FsStorageOptions, ResolvedFsStorageOptions } from './fs-storage-options.js';
export { fsStorageName, fsStorageOptionsSchema } from './fs-storage-options.js';
export { plugin } from './plugin.js';
