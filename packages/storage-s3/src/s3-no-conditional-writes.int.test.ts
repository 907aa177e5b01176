import { createVersion, isCairnError } from '@cairn/kernel';
import { type S3TestServer, startS3Server } from '@cairn/s3-test-server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { S3Storage } from './index.js';
import { createTestStorage } from './testing/s3-test-storage.js';

// A store that ignores If-None-Match and If-Match (s3rver without the imitation in front, like
// some S3-compatible stores), opened with `conditionalWrites: false` as its users must.
let server: S3TestServer;
let storage: S3Storage;

beforeAll(async () => {
  server = await startS3Server({ conditionalWrites: false });
  storage = createTestStorage(server, { conditionalWrites: false });
});

afterAll(async () => {
  await storage?.close();
  await server?.stop();
});

describe('a store without conditional writes', () => {
  it('declares it, so the kernel knows', () => {
    expect(storage.capabilities.conditionalWrites).toBe(false);
  });

  it('still refuses a create over an existing object and a stale replace, by looking first (one writer)', async () => {
    const first = await storage.put('single-writer.txt', 'one', { ifNoneMatch: '*' });
    const again = await storage
      .put('single-writer.txt', 'two', { ifNoneMatch: '*' })
      .catch((error: unknown) => error);
    expect(isCairnError(again, 'PRECONDITION_FAILED')).toBe(true);
    const replaced = await storage.put('single-writer.txt', 'three', { ifMatch: first.etag });
    const stale = await storage
      .put('single-writer.txt', 'four', { ifMatch: first.etag })
      .catch((error: unknown) => error);
    expect(isCairnError(stale, 'PRECONDITION_FAILED')).toBe(true);
    expect((await storage.head('single-writer.txt'))?.etag).toBe(replaced.etag);
  });

  it('the kernel refuses to allocate versions on it instead of racing', async () => {
    const error = await createVersion(storage, {
      prefix: 'artifacts/dataset-x/',
      body: '{"rows":1}',
    }).catch((failure: unknown) => failure);
    expect(isCairnError(error, 'UNSUPPORTED'), String(error)).toBe(true);
    expect((error as Error).message).toMatch(/conditional writes/);
    const listed = [];
    for await (const object of storage.list({ prefix: 'artifacts/' })) listed.push(object.key);
    expect(listed).toEqual([]);
  });
});
