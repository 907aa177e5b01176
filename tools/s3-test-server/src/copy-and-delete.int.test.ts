// These tests check that CopyObject and DeleteObject still work on the test server's own object
// files (one file per version, replacing s3rver's three).
import {
  CopyObjectCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
} from '@aws-sdk/client-s3';
import { describe, expect, it } from 'vitest';
import { s3ErrorOf, useTestClient } from './testing/test-client.js';

const bucket = 'cairn-test';

describe('copy and delete on the test server', () => {
  const s3 = useTestClient();

  it('CopyObject copies bytes and metadata, or replaces the metadata when asked', async () => {
    const put = await s3.client.send(
      new PutObjectCommand({
        Bucket: bucket,
        Key: 'copy/source.txt',
        Body: 'copied bytes',
        ContentType: 'text/plain',
        Metadata: { origin: 'source' },
      }),
    );
    const copied = await s3.client.send(
      new CopyObjectCommand({
        Bucket: bucket,
        Key: 'copy/kept.txt',
        CopySource: `${bucket}/copy/source.txt`,
      }),
    );
    expect(copied.CopyObjectResult?.ETag).toBe(put.ETag);
    const kept = await s3.client.send(
      new GetObjectCommand({ Bucket: bucket, Key: 'copy/kept.txt' }),
    );
    expect(await kept.Body?.transformToString()).toBe('copied bytes');
    expect(kept.ContentType).toBe('text/plain');
    expect(kept.Metadata).toEqual({ origin: 'source' });

    await s3.client.send(
      new CopyObjectCommand({
        Bucket: bucket,
        Key: 'copy/source.txt',
        CopySource: `${bucket}/copy/source.txt`,
        MetadataDirective: 'REPLACE',
        ContentType: 'application/json',
        Metadata: { origin: 'replaced' },
      }),
    );
    const replaced = await s3.client.send(
      new HeadObjectCommand({ Bucket: bucket, Key: 'copy/source.txt' }),
    );
    expect(replaced.ETag).toBe(put.ETag);
    expect(replaced.ContentLength).toBe('copied bytes'.length);
    expect(replaced.ContentType).toBe('application/json');
    expect(replaced.Metadata).toEqual({ origin: 'replaced' });
  });

  it('DeleteObject removes the object from GET and the listing, and keeps its neighbours', async () => {
    for (const key of ['delete/a/gone.txt', 'delete/a/kept.txt', 'delete/b.txt']) {
      await s3.client.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: key }));
    }
    await s3.client.send(new DeleteObjectCommand({ Bucket: bucket, Key: 'delete/a/gone.txt' }));
    await s3.client.send(new DeleteObjectCommand({ Bucket: bucket, Key: 'delete/a/kept.txt' }));
    await s3.client.send(
      new PutObjectCommand({ Bucket: bucket, Key: 'delete/a/kept.txt', Body: 'k' }),
    );
    const error = await s3ErrorOf(
      s3.client.send(new GetObjectCommand({ Bucket: bucket, Key: 'delete/a/gone.txt' })),
    );
    expect(error.name).toBe('NoSuchKey');
    const listed = await s3.client.send(
      new ListObjectsV2Command({ Bucket: bucket, Prefix: 'delete/' }),
    );
    expect(listed.Contents?.map((object) => object.Key)).toEqual([
      'delete/a/kept.txt',
      'delete/b.txt',
    ]);
    // Deleting a missing key succeeds, as on S3.
    const again = await s3.client.send(
      new DeleteObjectCommand({ Bucket: bucket, Key: 'delete/a/gone.txt' }),
    );
    expect(again.$metadata.httpStatusCode).toBe(204);
  });
});
