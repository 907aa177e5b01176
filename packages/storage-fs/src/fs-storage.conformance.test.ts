import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describeStorageConformance } from '@cairn/testkit';
import { createFsStorage, type FsStorage } from './index.js';

// Every check runs against real files in a fresh temporary folder, with fsync on (the default).
describeStorageConformance<FsStorage>({
  name: 'fs',
  create: async () =>
    createFsStorage({ root: await mkdtemp(join(tmpdir(), 'cairn-fs-conformance-')) }),
  destroy: async (storage) => {
    await storage.close?.();
    await rm(storage.root, { recursive: true, force: true });
  },
  capabilities: { conditionalWrites: true, rangedReads: true, sha256: true, atomicPut: true },
});
