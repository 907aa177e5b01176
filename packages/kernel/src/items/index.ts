export { canonicalJson, digestPrefixLength, inputDigestOf } from './item-digest.js';
export { maxItemKeyLength } from './item-plan.js';
export {
  type ItemRecord,
  itemFormatVersion,
  itemRecordSchema,
  type ReadItemRecordOptions,
  readItemRecord,
  type StoredItemError,
  storedItemErrorSchema,
} from './item-record.js';
export type { ItemSegment, ItemSegmentEntry, SegmentStatus } from './item-segment.js';
export {
  type ItemIdentity,
  type ItemProgress,
  type ItemProgressEntry,
  itemIdentity,
  type LoadItemProgressOptions,
  loadItemProgress,
} from './load-item-progress.js';
export { mapItems } from './map-items.js';
export {
  type ItemContext,
  type ItemWorker,
  type MapItemsOptions,
  mapItemsOptionsSchema,
} from './map-items-options.js';
export type { ItemOutcome, MapItemsResult } from './map-items-result.js';
export {
  createParameterGrid,
  type ParameterGrid,
  parameterValueLabel,
} from './parameter-grid.js';
