import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { readAll } from '../storage/body.js';
import { createMemoryStorage } from '../storage/memory-storage.js';
import type { Storage } from '../storage/storage.js';
import { rejection } from '../testing/rejection.js';
import { blobKey } from './artifact-layout.js';
import { createArtifactStore } from './create-artifact-store.js';

let directory: string;
beforeEach(async () => {
  directory = await mkdtemp(join(tmpdir(), 'cairn-artifacts-'));
});
afterEach(async () => {
  await rm(directory, { recursive: true, force: true });
});

async function text(stream: AsyncIterable<Uint8Array | string>): Promise<string> {
  return (await readAll(stream)).toString('utf8');
}

describe('logging artifacts', () => {
  it('numbers versions from 1, moves latest, and reads each version back', async () => {
    const artifacts = createArtifactStore({ storage: createMemoryStorage() });
    const first = await artifacts.log({
      name: 'config-sweep',
      type: 'config',
      value: { learningRate: 0.1, layers: [1, 2] },
    });
    const second = await artifacts.log({
      name: 'config-sweep',
      type: 'config',
      value: { learningRate: 0.2 },
    });
    expect([first.reference, first.created, second.reference, second.created]).toEqual([
      'config-sweep:v1',
      true,
      'config-sweep:v2',
      true,
    ]);
    expect(first.digest).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(first.digest).not.toBe(second.digest);
    expect(await (await artifacts.get('config-sweep')).value()).toEqual({ learningRate: 0.2 });
    expect(await (await artifacts.get('config-sweep:v1')).value()).toEqual({
      learningRate: 0.1,
      layers: [1, 2],
    });
    expect(await artifacts.aliases('config-sweep')).toEqual([
      { name: 'config-sweep', alias: 'latest', version: 2 },
    ]);
  });

  it('returns the existing version for identical content, whatever the key order or file names given', async () => {
    const storage = createMemoryStorage();
    const artifacts = createArtifactStore({ storage });
    const first = await artifacts.log({
      name: 'report',
      type: 'report',
      value: { a: 1, b: { c: 2, d: 3 } },
    });
    const again = await artifacts.log({
      name: 'report',
      type: 'report',
      value: { b: { d: 3, c: 2 }, a: 1 },
      metadata: { reviewed: true },
    });
    expect(again).toMatchObject({ version: 1, created: false, digest: first.digest });
    // Metadata given with identical content is added to the existing version.
    expect((await artifacts.get('report:v1')).metadata).toEqual({ reviewed: true });
    expect((await artifacts.versions('report')).map((version) => version.version)).toEqual([1]);
  });

  it('logs a directory as a manifest of path → sha256, deduplicates it, and downloads it whole', async () => {
    const source = join(directory, 'data');
    await mkdir(join(source, 'split', 'deep'), { recursive: true });
    await writeFile(join(source, 'train.jsonl'), '{"q":1}\n{"q":2}\n');
    await writeFile(join(source, 'split', 'test.jsonl'), '{"q":3}\n');
    await writeFile(join(source, 'split', 'deep', 'same.txt'), '{"q":3}\n');
    const storage = createMemoryStorage();
    const artifacts = createArtifactStore({ storage });
    const logged = await artifacts.log({
      name: 'dataset-gsm8k',
      type: 'dataset',
      directory: source,
    });
    const version = await artifacts.get(logged.reference);
    expect(version).toMatchObject({ source: 'directory', files: 3, size: 32 });
    expect((await version.manifest()).map((entry) => entry.path)).toEqual([
      'split/deep/same.txt',
      'split/test.jsonl',
      'train.jsonl',
    ]);
    // Two files with the same bytes are stored once.
    const blobs: string[] = [];
    for await (const info of storage.list({ prefix: 'blobs/' })) blobs.push(info.key);
    expect(blobs).toHaveLength(3); // two distinct files + the manifest
    expect(await text(await version.open('split/test.jsonl'))).toBe('{"q":3}\n');

    const again = await artifacts.log({
      name: 'dataset-gsm8k',
      type: 'dataset',
      directory: source,
    });
    expect(again).toMatchObject({ version: 1, created: false });
    await writeFile(join(source, 'train.jsonl'), '{"q":1}\n{"q":2}\n{"q":4}\n');
    expect(
      (await artifacts.log({ name: 'dataset-gsm8k', type: 'dataset', directory: source })).version,
    ).toBe(2);

    const target = join(directory, 'restored');
    const { files } = await (await artifacts.get('dataset-gsm8k:v1')).download(target);
    expect(files).toHaveLength(3);
    expect(
      await text((await import('node:fs')).createReadStream(join(target, 'train.jsonl'))),
    ).toBe('{"q":1}\n{"q":2}\n');
  });

  it('logs a file under its base name and a reference without copying it', async () => {
    const file = join(directory, 'weights.bin');
    await writeFile(file, Buffer.alloc(1000, 7));
    const storage = createMemoryStorage();
    const artifacts = createArtifactStore({ storage });
    const model = await artifacts.log({ name: 'model-run1', type: 'model', file });
    expect((await (await artifacts.get(model.reference)).manifest())[0]).toMatchObject({
      path: 'weights.bin',
      size: 1000,
    });
    const reference = await artifacts.log({
      name: 'dataset-web',
      type: 'dataset',
      reference: {
        uri: 's3://corpus/web/part-0.parquet',
        etag: '"9b2cf535f27731c974343645a3985328"',
        size: 5_000_000_000,
      },
    });
    const version = await artifacts.get(reference.reference);
    expect(version).toMatchObject({
      source: 'reference',
      uri: 's3://corpus/web/part-0.parquet',
      size: 5_000_000_000,
    });
    expect(await version.manifest()).toEqual([
      {
        path: 'part-0.parquet',
        uri: 's3://corpus/web/part-0.parquet',
        etag: '9b2cf535f27731c974343645a3985328',
        size: 5_000_000_000,
      },
    ]);
    // A changed object (new etag) is new content; the same etag is the same version.
    const same = await artifacts.log({
      name: 'dataset-web',
      type: 'dataset',
      reference: {
        uri: 's3://corpus/web/part-0.parquet',
        etag: '9b2cf535f27731c974343645a3985328',
        size: 5_000_000_000,
      },
    });
    expect(same.created).toBe(false);
    const open = await rejection(version.open());
    expect(open.message).toContain('Cairn did not copy it');
  });

  it('refuses a read of damaged bytes instead of returning them', async () => {
    const storage = createMemoryStorage();
    const artifacts = createArtifactStore({ storage });
    const file = join(directory, 'weights.bin');
    await writeFile(file, 'the real weights');
    const logged = await artifacts.log({ name: 'model-a', type: 'model', file });
    const [entry] = await (await artifacts.get(logged.reference)).manifest();
    await storage.put(blobKey((entry as { sha256: string }).sha256), 'the evil weights');
    const error = await rejection(text(await (await artifacts.get(logged.reference)).open()));
    expect(error.code).toBe('CORRUPT_DATA');
    expect(error.message).toContain('"model-a:v1" file "weights.bin" is damaged');
  });

  it('says what exists when a name, version or alias is unknown', async () => {
    const artifacts = createArtifactStore({ storage: createMemoryStorage() });
    const empty = await rejection(artifacts.use('dataset-x'));
    expect(empty.code).toBe('NOT_FOUND');
    expect(empty.message).toContain('No artifact has been logged');
    await artifacts.log({ name: 'dataset-x', type: 'dataset', value: [1] });
    await artifacts.log({ name: 'dataset-x', type: 'dataset', value: [2] });
    const name = await rejection(artifacts.use('dataset-y'));
    expect(name.message).toContain(
      'There is no artifact named "dataset-y"; did you mean "dataset-x"?',
    );
    const version = await rejection(artifacts.use('dataset-x:v9'));
    expect(version.message).toBe(
      '[cairn] [artifacts] Artifact "dataset-x" has no version v9. Versions: v1, v2; aliases: latest → v2.',
    );
    const alias = await rejection(artifacts.get('dataset-x:best'));
    expect(alias.message).toContain('has no alias "best"');
    const malformed = await rejection(artifacts.get('dataset-x:v0'));
    expect(malformed.code).toBe('INVALID_OPTIONS');
  });

  it('refuses bad content and metadata before writing anything', async () => {
    const storage = createMemoryStorage();
    const artifacts = createArtifactStore({ storage });
    const cases: [Record<string, unknown>, string, RegExp][] = [
      [{}, 'INVALID_OPTIONS', /exactly one of value, file, directory or reference; none was given/],
      [{ value: 1, file: 'x' }, 'INVALID_OPTIONS', /got value and file/],
      [{ value: { when: new Date() } }, 'INVALID_OPTIONS', /value.when/],
      [{ file: join(directory, 'missing.bin') }, 'NOT_FOUND', /does not exist/],
      [{ directory }, 'INVALID_OPTIONS', /holds no files/],
      [{ file: directory }, 'INVALID_OPTIONS', /is not a file/],
      [{ reference: { uri: 'not a uri', etag: 'x', size: 1 } }, 'INVALID_OPTIONS', /is not a URI/],
      [{ reference: { uri: 's3://b/k', size: 1 } }, 'INVALID_OPTIONS', /has no etag/],
      [{ value: 1, metadata: [1] }, 'INVALID_OPTIONS', /must be a JSON object/],
      [{ value: 1, metadata: { score: Number.NaN } }, 'INVALID_OPTIONS', /metadata.score is NaN/],
      [{ value: 1, aliases: ['latest'] }, 'INVALID_OPTIONS', /moves by itself/],
      [{ value: 1, aliases: ['v2'] }, 'INVALID_OPTIONS', /reads as a version/],
      [{ value: 1, parents: ['dataset-none'] }, 'NOT_FOUND', /no artifact named "dataset-none"/],
      [{ value: 1, run: 'not-a-run' }, 'INVALID_OPTIONS', /not a run id/],
    ];
    for (const [content, code, message] of cases) {
      const error = await rejection(
        artifacts.log({ name: 'report-x', type: 'report', ...content } as never),
      );
      expect(error.code, `${JSON.stringify(content)}: ${error.message}`).toBe(code);
      expect(error.message).toMatch(message);
    }
    expect(storage.size).toBe(0);
  });

  it('refuses a storage without conditional writes, saying why', async () => {
    const inner = createMemoryStorage();
    const storage: Storage = {
      ...inner,
      capabilities: { ...inner.capabilities, conditionalWrites: false },
    };
    const error = await rejection(
      createArtifactStore({ storage }).log({ name: 'report-x', type: 'report', value: 1 }),
    );
    expect(error.code).toBe('UNSUPPORTED');
  });
});

describe('content from the real world', () => {
  it('follows symbolic links (model snapshots), ends link loops, and names a dangling link', async () => {
    const { symlink } = await import('node:fs/promises');
    const snapshot = join(directory, 'snapshot');
    await mkdir(join(directory, 'blobs'), { recursive: true });
    await mkdir(snapshot, { recursive: true });
    await writeFile(join(directory, 'blobs', 'abc'), 'weights');
    await writeFile(join(snapshot, 'README.md'), 'readme');
    await symlink(join(directory, 'blobs', 'abc'), join(snapshot, 'model.safetensors'));
    await symlink(snapshot, join(snapshot, 'loop'));
    const artifacts = createArtifactStore({ storage: createMemoryStorage() });
    const logged = await artifacts.log({ name: 'model-hf', type: 'model', directory: snapshot });
    expect(
      (await (await artifacts.get(logged.reference)).manifest()).map((entry) => entry.path),
    ).toEqual(['README.md', 'model.safetensors']);
    expect(
      (
        await artifacts.log({
          name: 'model-one',
          type: 'model',
          file: join(snapshot, 'model.safetensors'),
        })
      ).created,
    ).toBe(true);
    await symlink(join(directory, 'nowhere'), join(snapshot, 'broken'));
    const error = await rejection(
      artifacts.log({ name: 'model-hf', type: 'model', directory: snapshot }),
    );
    expect(error.message).toContain('a link that leads nowhere');
  });

  it('gives the same digest to a path in NFC and in NFD', async () => {
    const artifacts = createArtifactStore({ storage: createMemoryStorage() });
    const digests: string[] = [];
    for (const [index, form] of (['NFC', 'NFD'] as const).entries()) {
      const folder = join(directory, `form-${index}`);
      await mkdir(folder, { recursive: true });
      await writeFile(join(folder, 'café.txt'.normalize(form)), 'same bytes');
      digests.push(
        (await artifacts.log({ name: 'dataset-u', type: 'dataset', directory: folder })).digest,
      );
    }
    expect(digests[0]).toBe(digests[1]);
  });

  it('never stores credentials or signatures of a reference URI', async () => {
    const storage = createMemoryStorage();
    const artifacts = createArtifactStore({ storage });
    const presigned =
      'https://bucket.s3.amazonaws.com/data/x.parquet?X-Amz-Credential=AKIAEXAMPLE%2F20250810&X-Amz-Signature=deadbeefcafe';
    const logged = await artifacts.log({
      name: 'dataset-p',
      type: 'dataset',
      reference: { uri: presigned, etag: 'e1', size: 10 },
    });
    const version = await artifacts.get(logged.reference);
    expect(version.uri).toBe('https://bucket.s3.amazonaws.com/data/x.parquet');
    expect(await version.manifest()).toEqual([
      {
        path: 'x.parquet',
        uri: 'https://bucket.s3.amazonaws.com/data/x.parquet',
        etag: 'e1',
        size: 10,
      },
    ]);
    for await (const info of storage.list({ prefix: '' })) {
      expect(await text((await storage.get(info.key)).body), info.key).not.toContain(
        'X-Amz-Signature',
      );
    }
    const withPassword = await rejection(
      artifacts.log({
        name: 'dataset-p',
        type: 'dataset',
        reference: { uri: 'https://user:hunter2@host/x', etag: 'e', size: 1 },
      }),
    );
    expect(withPassword.message).toContain('holds credentials');
    expect(withPassword.message).not.toContain('hunter2');
  });

  it('replaces a damaged blob of the right size instead of trusting it', async () => {
    const storage = createMemoryStorage();
    const artifacts = createArtifactStore({ storage });
    const file = join(directory, 'weights.bin');
    await writeFile(file, 'the real weights');
    const { createHash } = await import('node:crypto');
    const sha256 = createHash('sha256').update('the real weights').digest('hex');
    await storage.put(blobKey(sha256), 'the evil weights');
    const logged = await artifacts.log({ name: 'model-a', type: 'model', file });
    expect(await text(await (await artifacts.get(logged.reference)).open())).toBe(
      'the real weights',
    );
  });
});
