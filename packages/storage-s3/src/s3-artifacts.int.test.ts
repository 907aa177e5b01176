import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createArtifactStore, validateLineage } from '@cairn/kernel';
import { describe, expect, it } from 'vitest';
import { describeS3Storage, openS3Storage } from './testing/s3-storage-description.js';
import { useS3TestServer } from './testing/use-s3-test-server.js';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
const server = useS3TestServer();

describe('artifacts on S3', () => {
  it('logs a directory, deduplicates it across clients, races versions and aliases, and downloads it', async () => {
    const prefix = `artifacts-${randomBytes(6).toString('hex')}/`;
    const local = await mkdtemp(join(tmpdir(), 'cairn-s3-artifacts-'));
    try {
      await mkdir(join(local, 'data', 'split'), { recursive: true });
      await writeFile(join(local, 'data', 'train.jsonl'), '{"q":1}\n');
      await writeFile(join(local, 'data', 'split', 'test.jsonl'), '{"q":2}\n');
      const first = createArtifactStore({
        storage: openS3Storage(describeS3Storage(server(), prefix)),
      });
      const second = createArtifactStore({
        storage: openS3Storage(describeS3Storage(server(), prefix)),
      });
      const logged = await first.log({
        name: 'dataset-qa',
        type: 'dataset',
        directory: join(local, 'data'),
      });
      expect(logged).toMatchObject({ version: 1, created: true });
      // Another client with identical content finds the same version.
      expect(
        await second.log({ name: 'dataset-qa', type: 'dataset', directory: join(local, 'data') }),
      ).toMatchObject({ version: 1, created: false, digest: logged.digest });

      // Two clients racing with different content get distinct numbers.
      const raced = await Promise.all(
        Array.from({ length: 6 }, (_, index) =>
          (index % 2 === 0 ? first : second).log({
            name: 'dataset-qa',
            type: 'dataset',
            value: { index },
            metadata: { score: index },
          }),
        ),
      );
      expect(raced.map((result) => result.version).sort((a, b) => a - b)).toEqual([
        2, 3, 4, 5, 6, 7,
      ]);
      await Promise.all(
        raced.map((result, index) =>
          (index % 2 === 0 ? first : second).setAlias(result.reference, 'best', {
            better: { metric: 'score', mode: 'max' },
          }),
        ),
      );
      expect(await (await first.get('dataset-qa:best')).value()).toEqual({ index: 5 });
      expect((await second.get('dataset-qa')).version).toBe(7);

      const target = join(local, 'restored');
      await (await second.get('dataset-qa:v1')).download(target);
      expect(await readFile(join(target, 'split', 'test.jsonl'), 'utf8')).toBe('{"q":2}\n');
      expect(validateLineage(await second.lineage())).toEqual([]);
    } finally {
      await rm(local, { recursive: true, force: true });
    }
  });
});
