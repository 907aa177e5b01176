export * from './create-version.js';
export {
  type ListedVersion,
  latestVersion,
  listVersions,
  type ReadVersionsOptions,
  type VersionReference,
} from './latest-version.js';
export * from './version-keys.js';
export { versionWriterMetadataKey } from './version-ownership.js';
