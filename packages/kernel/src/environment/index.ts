export {
  captureEnvironment,
  type EnvironmentCapture,
} from './capture-environment.js';
export {
  type CaptureEnvironmentOptions,
  captureEnvironmentOptionsSchema,
  defaultGitTimeoutMs,
  defaultMaxDiffBytes,
} from './capture-environment-options.js';
export * from './environment-record.js';
export {
  type RedactEnvironmentVariablesOptions,
  type RedactedEnvironmentVariables,
  redactEnvironmentVariables,
} from './redact-environment-variables.js';
export {
  type ReadEnvironmentOptions,
  readEnvironment,
  readGitDiff,
  type StoredEnvironment,
  type StoreEnvironmentOptions,
  storeEnvironment,
} from './store-environment.js';
