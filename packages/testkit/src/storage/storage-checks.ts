import { capabilityChecks } from './capability-checks.js';
import type { StorageCheckGroup } from './check-context.js';
import { concurrencyChecks } from './concurrency-checks.js';
import { conditionalWriteChecks } from './conditional-write-checks.js';
import { failedWriteChecks } from './failed-write-checks.js';
import { integrityChecks } from './integrity-checks.js';
import { keyChecks } from './key-checks.js';
import { largeObjectChecks } from './large-object-checks.js';
import { listOrderChecks } from './list-order-checks.js';
import { listPaginationChecks } from './list-pagination-checks.js';
import { missingKeyChecks } from './missing-key-checks.js';
import { overwriteChecks } from './overwrite-checks.js';
import { rangedReadChecks } from './ranged-read-checks.js';
import { roundTripChecks } from './round-trip-checks.js';

/** Every group of the storage conformance suite, in the order it runs. */
export const storageCheckGroups: readonly StorageCheckGroup[] = [
  capabilityChecks,
  roundTripChecks,
  missingKeyChecks,
  overwriteChecks,
  rangedReadChecks,
  listOrderChecks,
  listPaginationChecks,
  conditionalWriteChecks,
  integrityChecks,
  keyChecks,
  concurrencyChecks,
  failedWriteChecks,
  largeObjectChecks,
];

export {
  capabilityChecks,
  concurrencyChecks,
  conditionalWriteChecks,
  failedWriteChecks,
  integrityChecks,
  keyChecks,
  largeObjectChecks,
  listOrderChecks,
  listPaginationChecks,
  missingKeyChecks,
  overwriteChecks,
  rangedReadChecks,
  roundTripChecks,
};
