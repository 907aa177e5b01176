// These tests check that CopyObject and DeleteObject still work on the test server's own object
// files (one file per version, replacing s3rver's three).
import {
  CopyObjectCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
  S3ServiceException,
} from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type S3TestServer, startS3Server } from './start-s3-server.js';

const bucket = 'cairn-test';

describe('copy and delete on the test server', () => {
  let server: S3TestServer;
  let client: S3Client;

  beforeAll(async () => {
    server = await startS3Server();
    client = new S3Client({ ...server.clientConfig(), maxAttempts: 1 });
  });

  afterAll(async () => {
    client?.destroy();
    await server?.stop();
  });

  it('CopyObject copies bytes and metadata, or replaces the metadata when asked', async () => {
    const put = await client.send(
      new PutObjectCommand({
        Bucket: bucket,
        Key: 'copy/source.txt',
        Body: 'copied bytes',
        ContentType: 'text/plain',
        Metadata: { origin: 'source' },
      }),
    );
    const copied = await client.send(
      new CopyObjectCommand({
        Bucket: bucket,
        Key: 'copy/kept.txt',
        CopySource: `${bucket}/copy/source.txt`,
      }),
    );
    expect(copied.CopyObjectResult?.ETag).toBe(put.ETag);
    const kept = await client.send(new GetObjectCommand({ Bucket: bucket, Key: 'copy/kept.txt' }));
    expect(await kept.Body?.transformToString()).toBe('copied bytes');
    expect(kept.ContentType).toBe('text/plain');
    expect(kept.Metadata).toEqual({ origin: 'source' });

    await client.send(
      new CopyObjectCommand({
        Bucket: bucket,
        Key: 'copy/source.txt',
        CopySource: `${bucket}/copy/source.txt`,
        MetadataDirective: 'REPLACE',
        ContentType: 'application/json',
        Metadata: { origin: 'replaced' },
      }),
    );
    const replaced = await client.send(
      new HeadObjectCommand({ Bucket: bucket, Key: 'copy/source.txt' }),
    );
    expect(replaced.ETag).toBe(put.ETag);
    expect(replaced.ContentLength).toBe('copied bytes'.length);
    expect(replaced.ContentType).toBe('application/json');
    expect(replaced.Metadata).toEqual({ origin: 'replaced' });
  });

  it('DeleteObject removes the object from GET and the listing, and keeps its neighbours', async () => {
    for (const key of ['delete/a/gone.txt', 'delete/a/kept.txt', 'delete/b.txt']) {
      await client.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: key }));
    }
    await client.send(new DeleteObjectCommand({ Bucket: bucket, Key: 'delete/a/gone.txt' }));
    await client.send(new DeleteObjectCommand({ Bucket: bucket, Key: 'delete/a/kept.txt' }));
    await client.send(
      new PutObjectCommand({ Bucket: bucket, Key: 'delete/a/kept.txt', Body: 'k' }),
    );
    const error = await client
      .send(new GetObjectCommand({ Bucket: bucket, Key: 'delete/a/gone.txt' }))
      .then(
        () => undefined,
        (rejection: unknown) => rejection,
      );
    expect(error).toBeInstanceOf(S3ServiceException);
    expect((error as S3ServiceException).name).toBe('NoSuchKey');
    const listed = await client.send(
      new ListObjectsV2Command({ Bucket: bucket, Prefix: 'delete/' }),
    );
    expect(listed.Contents?.map((object) => object.Key)).toEqual([
      'delete/a/kept.txt',
      'delete/b.txt',
    ]);
    // Deleting a missing key succeeds, as on S3.
    const again = await client.send(
      new DeleteObjectCommand({ Bucket: bucket, Key: 'delete/a/gone.txt' }),
    );
    expect(again.$metadata.httpStatusCode).toBe(204);
  });
});
