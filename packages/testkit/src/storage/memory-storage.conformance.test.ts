import { createMemoryStorage } from '@cairn/kernel';
import { describeStorageConformance } from './describe-storage-conformance.js';

// The reference backend: every check must pass, none may be skipped.
describeStorageConformance({
  name: 'memory',
  create: () => createMemoryStorage(),
  storesInMemory: true,
  capabilities: { conditionalWrites: true, rangedReads: true, sha256: true, atomicPut: true },
});
