export * from './config/index.js';
export * from './errors/aborted-error.js';
export * from './errors/cairn-error.js';
export type * from './logging/logger.js';
export { silentLogger } from './logging/logger.js';
export * from './retry/index.js';
export * from './storage/index.js';
