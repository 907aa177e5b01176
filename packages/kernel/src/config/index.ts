export * from '../storage/memory-storage-plugin.js';
export * from './builtin-plugins.js';
export type { ConfigIssue } from './config-issues.js';
export type {
  ConfigLocation,
  ConfigPosition,
  ConfigProvenance,
  YamlPathSegments,
} from './config-provenance.js';
export { describeLocation, formatYamlPath } from './config-provenance.js';
export * from './config-schema.js';
export * from './create-from-config.js';
export type { EnvironmentVariables, InterpolatedString } from './interpolate-environment.js';
export { interpolateString } from './interpolate-environment.js';
export * from './load-config.js';
export * from './plugin.js';
export { isSecretName } from './redact.js';
export * from './resolve-plugin.js';
export * from './validate-plugin-options.js';
