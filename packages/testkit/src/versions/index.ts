export * from './many-version-writers.js';
export * from './unconditional-storage.js';
export * from './version-history-check.js';
export * from './version-writer.js';
export * from './version-writer-child.js';
