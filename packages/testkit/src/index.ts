export * from './storage/assertions.js';
export * from './storage/check-context.js';
export * from './storage/describe-storage-conformance.js';
export * from './storage/memory-probe.js';
export * from './storage/pattern-body.js';
export * from './storage/storage-checks.js';
export * from './versions/index.js';
