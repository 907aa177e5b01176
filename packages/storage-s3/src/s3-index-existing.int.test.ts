import { randomBytes } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';
import { buffer } from 'node:stream/consumers';
import { fileURLToPath } from 'node:url';
import { createCheckpointStore, indexCheckpoints, type Storage } from '@cairn/kernel';
import { describe, expect, it } from 'vitest';
import { describeS3Storage, openS3Storage } from './testing/s3-storage-description.js';
import { useS3TestServer } from './testing/use-s3-test-server.js';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
const server = useS3TestServer();

// The kernel's indexing fixture trees uploaded to a bucket, as another tool would leave them.
const fixtures = fileURLToPath(new URL('../../kernel/src/indexing/fixtures/', import.meta.url));

async function upload(storage: Storage, tree: string): Promise<void> {
  const root = join(fixtures, tree);
  const walk = async (folder: string): Promise<void> => {
    for (const entry of await readdir(folder, { withFileTypes: true })) {
      const path = join(folder, entry.name);
      if (entry.isDirectory()) await walk(path);
      else
        await storage.put(
          `${tree}/${relative(root, path).split(sep).join('/')}`,
          await readFile(path),
        );
    }
  };
  await walk(root);
}

describe('indexing checkpoints in a bucket Cairn did not write', () => {
  it('describes them from small files and safetensors headers, opens one, and a re-run is unchanged', async () => {
    const storage = openS3Storage(
      describeS3Storage(server(), `index-${randomBytes(6).toString('hex')}/`),
    );
    for (const tree of ['lightning', 'safetensors', 'legacy']) await upload(storage, tree);
    const report = await indexCheckpoints({ storage });
    expect(report.created).toHaveLength(9);
    const model = report.created.find(
      (item) => item.payloadKey === 'safetensors/model.safetensors',
    );
    expect(model?.record.metadata).toMatchObject({
      safetensors: { tensorCount: 4, parameterCount: 180 },
    });
    expect(report.skipped.map((item) => item.payloadKey)).toEqual([
      'safetensors/header-past-end.safetensors',
      'safetensors/truncated-header.safetensors',
    ]);
    const pickle = report.created.find((item) => item.record.step === 'generate');
    const opened = await createCheckpointStore({ storage }).open({ id: pickle?.id as string });
    const bytes = await readFile(join(fixtures, 'legacy/generate/generate_20240501_120000.pkl'));
    expect((await buffer(opened.body)).equals(bytes)).toBe(true);
    const again = await indexCheckpoints({ storage });
    expect([again.created.length, again.unchanged.length]).toEqual([0, 9]);
  });
});
