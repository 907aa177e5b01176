export {
  type CatalogChange,
  type CatalogChangeRequest,
  catalogChangeFormat,
  catalogChangeSchema,
  changeRecordRetentionMs,
  recordCatalogChange,
} from './catalog-changes.js';
export type { CatalogEntry, SkippedSource } from './catalog-entry.js';
export {
  type CatalogOptions,
  catalogBackend,
  catalogOptionsSchema,
  type ResolvedCatalogOptions,
} from './catalog-options.js';
export { type CatalogQuery, catalogQuerySchema } from './catalog-query.js';
export {
  type CollectGarbageOptions,
  collectGarbage,
  collectGarbageOptionsSchema,
  type GarbageReport,
} from './collect-garbage.js';
export {
  type Catalog,
  type CatalogRefreshOptions,
  type CatalogRefreshReport,
  createCatalog,
} from './create-catalog.js';
export type * from './metadata-source.js';
export { answerOfRecord, createSidecarSource, sidecarSourceName } from './sidecar-source.js';
