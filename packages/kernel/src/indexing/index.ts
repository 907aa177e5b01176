export { isCandidatePayload, payloadExtensions } from './discover-payloads.js';
export { createHydraSource, hydraRunTime, hydraSourceName } from './hydra-source.js';
export { indexCheckpoints } from './index-checkpoints.js';
export {
  defaultIndexStep,
  type IndexOptions,
  indexOptionsSchema,
  type ResolvedIndexOptions,
} from './index-options.js';
export {
  type FormatIndexPlanOptions,
  formatIndexPlan,
  type IndexedCheckpoint,
  type IndexReport,
  type ReplacedCheckpoint,
  type SkippedPayload,
} from './index-report.js';
export type { SkippedSourceReason } from './indexed-sidecar.js';
export { indexingBackend } from './indexing-backend.js';
export { inferenceSources } from './inference-sources.js';
export {
  createLegacyPipelineSource,
  legacyPipelineSourceName,
  pipelineStepMetadataKey,
} from './legacy-pipeline-source.js';
export { createLightningSource, lightningSourceName } from './lightning-source.js';
export { maxSafetensorsHeaderBytes } from './safetensors-header.js';
export {
  createSafetensorsSource,
  safetensorsSourceName,
} from './safetensors-source.js';
