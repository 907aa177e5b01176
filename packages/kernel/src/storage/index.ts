export * from './body.js';
export * from './keys.js';
export * from './list-pages.js';
export * from './memory-storage.js';
export type * from './storage.js';
