export {
  type CatalogChange,
  type CatalogChangeRequest,
  catalogChangeFormat,
  catalogChangeSchema,
  recordCatalogChange,
} from './catalog-changes.js';
export type * from './metadata-source.js';
export { answerOfRecord, createSidecarSource, sidecarSourceName } from './sidecar-source.js';
