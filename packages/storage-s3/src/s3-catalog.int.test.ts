import { randomBytes } from 'node:crypto';
import {
  type CatalogEntry,
  type CheckpointRecord,
  createCatalog,
  createCheckpointStore,
  keepLast,
  type Storage,
} from '@cairn/kernel';
import { describe, expect, it } from 'vitest';
import { describeS3Storage, openS3Storage } from './testing/s3-storage-description.js';
import { useS3TestServer } from './testing/use-s3-test-server.js';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
const server = useS3TestServer();
const run = 'train/20250810T143022.123Z-k3f9a2';

async function listAll(storage: Storage, query = {}): Promise<CatalogEntry[]> {
  const entries: CatalogEntry[] = [];
  for await (const entry of createCatalog({ storage, segmentSize: 16 }).checkpoints(query))
    entries.push(entry);
  return entries;
}

describe('the catalog on S3', () => {
  it('lists from sidecars through an index in the bucket, shared by a second client, and follows prunes', async () => {
    const prefix = `catalog-${randomBytes(6).toString('hex')}/`;
    const first = openS3Storage(describeS3Storage(server(), prefix));
    const store = createCheckpointStore({ storage: first });
    const saved: CheckpointRecord[] = [];
    for (let index = 0; index < 20; index++) {
      saved.push(
        await store.save({
          run,
          step: 'fit',
          state: { index },
          metrics: { loss: 1 / (index + 1) },
        }),
      );
    }
    expect((await listAll(first)).map((entry) => entry.id)).toEqual(
      saved.map((record) => record.id),
    );
    const indexKeys: string[] = [];
    for await (const info of first.list({ prefix: 'catalog/index/v1/checkpoints/fit/' }))
      indexKeys.push(info.key);
    expect(indexKeys).toContain('catalog/index/v1/checkpoints/fit/head.json');

    // A second machine: its own client on the same bucket and prefix.
    const second = openS3Storage(describeS3Storage(server(), prefix));
    const sidecarGets: string[] = [];
    const counting: Storage = {
      ...second,
      get: (key, options) => {
        if (key.endsWith('/checkpoint.yaml')) sidecarGets.push(key);
        return second.get(key, options);
      },
    };
    expect((await listAll(counting)).map((entry) => entry.id)).toEqual(
      saved.map((record) => record.id),
    );
    expect(sidecarGets).toEqual([]);

    const report = await store.prune({ run, step: 'fit', keep: [keepLast(3)] });
    const lowest = await listAll(counting, { best: { metric: 'loss', mode: 'min', k: 2 } });
    expect(lowest.map((entry) => entry.id)).toEqual(
      saved
        .slice(-2)
        .reverse()
        .map((record) => record.id),
    );
    expect((await listAll(counting)).map((entry) => entry.id)).toEqual(
      saved.slice(-3).map((record) => record.id),
    );
    expect(report.deleted).toHaveLength(17);
    await first.close();
    await second.close();
  });
});
