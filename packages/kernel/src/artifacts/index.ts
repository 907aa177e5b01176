export type { AliasMove } from './artifact-aliases.js';
export type { ArtifactContent, ArtifactReference } from './artifact-content.js';
export { artifactKeys, artifactsRoot, blobKey, runArtifactKeys } from './artifact-layout.js';
export {
  type ArtifactManifest,
  canonicalManifest,
  type ManifestEntry,
  manifestDigest,
  manifestFormat,
} from './artifact-manifest.js';
export {
  type ArtifactNaming,
  type ArtifactNamingOptions,
  type ArtifactNamingRule,
  artifactNamingOptionsSchema,
  checkArtifactName,
  defaultArtifactNamingRules,
  resolveArtifactNaming,
} from './artifact-naming.js';
export {
  type ArtifactSource,
  type ArtifactVersionRecord,
  artifactSources,
  artifactVersionRecordSchema,
} from './artifact-records.js';
export { type ParsedArtifactReference, parseArtifactReference } from './artifact-reference.js';
export type { ArtifactVersion } from './artifact-version.js';
export {
  type ArtifactRun,
  type ArtifactStore,
  type ArtifactStoreOptions,
  createArtifactStore,
  type SetAliasOptions,
  type StoreLogOptions,
} from './create-artifact-store.js';
export type { LoadLineageOptions } from './load-lineage.js';
export type { LogArtifactFields, LogArtifactOptions, LoggedArtifact } from './log-artifact.js';
