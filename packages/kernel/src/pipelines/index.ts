export * from './define-pipeline.js';
export type * from './pipeline-types.js';
export * from './process-signals.js';
export * from './resume-point.js';
export * from './run-as-main.js';
