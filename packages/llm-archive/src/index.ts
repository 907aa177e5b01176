export {
  type ArchiveMiddlewareOptions,
  archiveMiddleware,
  summariseStreamParts,
} from './ai-sdk-middleware.js';
export * from './archive-entry.js';
export type { IndexProblem } from './archive-index.js';
export { archivePaths } from './archive-layout.js';
export {
  type ArchiveRun,
  type LlmArchiveOptions,
  llmArchiveName,
  llmArchiveOptionsSchema,
} from './archive-options.js';
export type {
  ArchiveStats,
  CallStats,
  FailureAlert,
  FailureAlertOptions,
} from './archive-stats.js';
export { type ArchiveRepair, ArchiveWriter } from './archive-writer.js';
export { type Durability, durabilityLevels, durabilitySchema } from './durability.js';
export { extractJson, parseJsonAnswer } from './extract-json.js';
export { type LlmArchive, openLlmArchive } from './llm-archive.js';
export type { LlmAnswer, LlmAttempt, LlmCallOptions, LlmCallResult } from './llm-call.js';
export {
  classifyLlmError,
  classifyLlmRetry,
  isContentPolicyRefusal,
  type LlmErrorClass,
  llmCallError,
} from './llm-errors.js';
export {
  type ArchivedFetchOptions,
  archivedFetch,
  summariseCompletion,
  summariseCompletionStream,
} from './openai-compatible.js';
export { costOf, defaultPrices, type ModelPrice, priceOf } from './price-table.js';
export { requestHash } from './request-hash.js';
export type { LlmStreamCallOptions, LlmStreamCallResult } from './stream-call.js';
export { type ArchiveVerification, verifyArchive } from './verify-archive.js';
