import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  type CatalogEntry,
  type CheckpointRecord,
  createCatalog,
  createCheckpointStore,
  type GetOptions,
  keepLast,
  type Storage,
} from '@cairn/kernel';
import { describe, expect, it } from 'vitest';
import { createFsStorage } from './index.js';
import { temporaryRoot } from './testing/temporary-root.js';

const run = 'train/20250810T143022.123Z-k3f9a2';

/** A storage that records which sidecars were read. */
function countingSidecars(storage: Storage): Storage & { sidecars: string[] } {
  const sidecars: string[] = [];
  return {
    ...storage,
    sidecars,
    get: (key: string, options?: GetOptions) => {
      if (key.endsWith('/checkpoint.yaml')) sidecars.push(key);
      return storage.get(key, options);
    },
  };
}

async function listAll(storage: Storage, query = {}): Promise<CatalogEntry[]> {
  const entries: CatalogEntry[] = [];
  for await (const entry of createCatalog({ storage, segmentSize: 16 }).checkpoints(query))
    entries.push(entry);
  return entries;
}

describe('the catalog on disk', () => {
  it('lists from sidecars, keeps its index on disk for the next process, and follows saves and prunes', async () => {
    const root = await temporaryRoot();
    const writer = createFsStorage({ root });
    const store = createCheckpointStore({ storage: writer });
    const saved: CheckpointRecord[] = [];
    for (let index = 0; index < 24; index++) {
      saved.push(
        await store.save({
          run,
          step: index % 4 === 3 ? 'eval' : 'fit',
          state: { index },
          metadata: { epoch: index },
          metrics: { hmean: (index % 7) / 10 },
        }),
      );
    }
    const first = await listAll(writer);
    expect(first.map((entry) => entry.id)).toEqual(saved.map((record) => record.id));
    expect(first.every((entry) => entry.source === 'sidecar')).toBe(true);
    const best = await listAll(writer, { best: { metric: 'hmean', mode: 'max', k: 3 } });
    expect(best.map((entry) => entry.metrics.hmean)).toEqual([0.6, 0.6, 0.6]);

    // Another process: a new storage over the same folder finds the index and reads no sidecar.
    const reader = countingSidecars(createFsStorage({ root }));
    expect((await listAll(reader)).map((entry) => entry.id)).toEqual(
      saved.map((record) => record.id),
    );
    expect(reader.sidecars).toEqual([]);

    const more = await store.save({ run, step: 'fit', state: 'late', metrics: { hmean: 0.9 } });
    const pruned = await store.prune({ run, step: 'fit', keep: [keepLast(4)] });
    reader.sidecars.length = 0;
    const after = await listAll(reader, { step: 'fit' });
    const deleted = new Set(pruned.deleted.map((entry) => entry.id));
    expect(after.map((entry) => entry.id)).toEqual(
      [...saved.filter((record) => record.step === 'fit'), more]
        .map((record) => record.id)
        .filter((id) => !deleted.has(id)),
    );
    // Only the new sidecar and the pruned ones (gone) were looked at.
    expect(reader.sidecars.length).toBe(1 + deleted.size);
  });

  it('sees a sidecar edited by hand after a full refresh', async () => {
    const root = await temporaryRoot();
    const storage = createFsStorage({ root });
    const store = createCheckpointStore({ storage });
    const record = await store.save({ run, step: 'fit', state: 1, metrics: { hmean: 0.5 } });
    await listAll(storage);
    const path = join(root, 'checkpoints', ...record.id.split('/'), 'checkpoint.yaml');
    // An edit in place keeps the file's record, so the storage's digest exposes it as damaged.
    await writeFile(path, (await readFile(path, 'utf8')).replace('hmean: 0.5', 'hmean: 0.7'));
    await createCatalog({ storage }).refresh({ full: true });
    const [entry] = await listAll(storage);
    expect(entry?.source).toBe('none');
    expect(entry?.skipped[0]?.reason).toMatch(/differ from what the storage recorded/);
  });
});
