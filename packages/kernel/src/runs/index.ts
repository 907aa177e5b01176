export * from './error-record.js';
export type { RunLease } from './run-lease.js';
export * from './run-record.js';
export { RunRecordWriter } from './run-record-writer.js';
export * from './run-status.js';
export * from './start-run.js';
