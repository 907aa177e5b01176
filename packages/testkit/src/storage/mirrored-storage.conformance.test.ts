import { createMemoryStorage, createMirroredStorage } from '@cairn/kernel';
import { describeStorageConformance } from './describe-storage-conformance.js';

// A mirror must satisfy the contract like any backend. Ranged reads are not declared (a slice
// cannot be verified against the object's digest), so that check is skipped by design.
// `storesInMemory` holds with two memory copies because the mirror hands the same chunk
// buffers to both: the object is kept once, not twice.
const capabilities = { conditionalWrites: true, rangedReads: false, sha256: true, atomicPut: true };

describeStorageConformance({
  name: 'mirror (memory + memory)',
  create: () => createMirroredStorage({ copies: [createMemoryStorage(), createMemoryStorage()] }),
  storesInMemory: true,
  capabilities,
});

// The same contract with nearly every object read through the large-object path: a
// verification pass, then a second read verified again as the caller consumes it.
describeStorageConformance({
  name: 'mirror (memory + memory, two-pass reads)',
  create: () =>
    createMirroredStorage({
      copies: [createMemoryStorage(), createMemoryStorage()],
      bufferLimitBytes: 1024,
    }),
  storesInMemory: true,
  capabilities,
});
