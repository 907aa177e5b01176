export * from './answer-shape.js';
export * from './describe-metadata-source-conformance.js';
export * from './frozen-subject.js';
export * from './metadata-source-check.js';
export * from './metadata-source-checks.js';
export * from './run-metadata-source-check.js';
export * from './secret-leaks.js';
