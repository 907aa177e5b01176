// These tests check the imitation of S3's documented conditional writes that startS3Server
// puts in front of s3rver (which ignores If-None-Match and If-Match by itself).
import {
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  GetObjectCommand,
  PutObjectCommand,
  type S3Client,
  type S3ServiceException,
  UploadPartCommand,
} from '@aws-sdk/client-s3';
import { describe, expect, it } from 'vitest';
import {
  s3ErrorOf,
  startTestClient,
  stopTestClient,
  useTestClient,
} from './testing/test-client.js';

const bucket = 'cairn-test';

async function textOf(client: S3Client, key: string): Promise<string | undefined> {
  const got = await client.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  return got.Body?.transformToString();
}

describe('conditional writes imitated in front of s3rver', () => {
  const s3 = useTestClient();

  it('PutObject with If-None-Match: * creates an absent key and answers 412 when it exists', async () => {
    const key = 'if-none-match/put';
    await s3.client.send(
      new PutObjectCommand({ Bucket: bucket, Key: key, Body: 'first', IfNoneMatch: '*' }),
    );
    const error = await s3ErrorOf(
      s3.client.send(
        new PutObjectCommand({ Bucket: bucket, Key: key, Body: 'second', IfNoneMatch: '*' }),
      ),
    );
    expect(error.name).toBe('PreconditionFailed');
    expect(error.$metadata.httpStatusCode).toBe(412);
    expect((error as unknown as { Condition?: string }).Condition).toBe('If-None-Match');
    expect(await textOf(s3.client, key)).toBe('first');
  });

  it('CompleteMultipartUpload with If-None-Match: * answers 412 when the key exists and leaves it alone', async () => {
    const key = 'if-none-match/multipart';
    const part = Buffer.alloc(5 * 1024 * 1024, 7);

    const uploadParts = async () => {
      const created = await s3.client.send(
        new CreateMultipartUploadCommand({ Bucket: bucket, Key: key }),
      );
      const uploadId = created.UploadId ?? '';
      const parts = [];
      for (const partNumber of [1, 2]) {
        const uploaded = await s3.client.send(
          new UploadPartCommand({
            Bucket: bucket,
            Key: key,
            UploadId: uploadId,
            PartNumber: partNumber,
            Body: part,
          }),
        );
        parts.push({ PartNumber: partNumber, ETag: uploaded.ETag ?? '' });
      }
      return new CompleteMultipartUploadCommand({
        Bucket: bucket,
        Key: key,
        UploadId: uploadId,
        MultipartUpload: { Parts: parts },
        IfNoneMatch: '*',
      });
    };

    // While the key is absent the conditional complete succeeds.
    await s3.client.send(await uploadParts());
    const first = await s3.client.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
    expect(first.ContentLength).toBe(2 * part.length);
    await first.Body?.transformToByteArray();

    await s3.client.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: 'small' }));
    const error = await s3ErrorOf(s3.client.send(await uploadParts()));
    expect(error.$metadata.httpStatusCode).toBe(412);
    expect(error.name).toBe('PreconditionFailed');
    expect(await textOf(s3.client, key)).toBe('small');
  });

  it('If-Match replaces only the version read: right ETag succeeds, wrong one answers 412', async () => {
    const key = 'if-match/put';
    const written = await s3.client.send(
      new PutObjectCommand({ Bucket: bucket, Key: key, Body: 'one' }),
    );
    const replaced = await s3.client.send(
      new PutObjectCommand({ Bucket: bucket, Key: key, Body: 'two', IfMatch: written.ETag }),
    );
    expect(await textOf(s3.client, key)).toBe('two');

    // The ETag of 'one' is stale now.
    const error = await s3ErrorOf(
      s3.client.send(
        new PutObjectCommand({ Bucket: bucket, Key: key, Body: 'three', IfMatch: written.ETag }),
      ),
    );
    expect(error.$metadata.httpStatusCode).toBe(412);
    expect((error as unknown as { Condition?: string }).Condition).toBe('If-Match');
    expect(await textOf(s3.client, key)).toBe('two');

    // Quotes do not matter when comparing.
    const unquoted = (replaced.ETag ?? '').replaceAll('"', '');
    await s3.client.send(
      new PutObjectCommand({ Bucket: bucket, Key: key, Body: 'four', IfMatch: unquoted }),
    );
    expect(await textOf(s3.client, key)).toBe('four');
  });

  it('If-Match on a missing key answers 404 NoSuchKey, as S3 does', async () => {
    const error = await s3ErrorOf(
      s3.client.send(
        new PutObjectCommand({
          Bucket: bucket,
          Key: 'if-match/missing',
          Body: 'x',
          IfMatch: '"0123"',
        }),
      ),
    );
    expect(error.$metadata.httpStatusCode).toBe(404);
    expect(error.name).toBe('NoSuchKey');
  });

  it('of 20 racing If-None-Match: * puts of one key exactly one succeeds', async () => {
    const key = 'if-none-match/race';
    const outcomes = await Promise.allSettled(
      Array.from({ length: 20 }, (_, index) =>
        s3.client.send(
          new PutObjectCommand({
            Bucket: bucket,
            Key: key,
            Body: `writer ${index}`,
            IfNoneMatch: '*',
          }),
        ),
      ),
    );
    const winners = outcomes.flatMap((outcome, index) =>
      outcome.status === 'fulfilled' ? [index] : [],
    );
    expect(winners).toHaveLength(1);
    for (const outcome of outcomes) {
      if (outcome.status === 'rejected') {
        expect((outcome.reason as S3ServiceException).$metadata.httpStatusCode).toBe(412);
      }
    }
    expect(await textOf(s3.client, key)).toBe(`writer ${winners[0]}`);
  });
});

describe('conditionalWrites: false', () => {
  it('passes the headers through to s3rver, which ignores them', async () => {
    const { server, client } = await startTestClient({ conditionalWrites: false });
    try {
      const key = 'ignored/if-none-match';
      await client.send(
        new PutObjectCommand({ Bucket: bucket, Key: key, Body: 'first', IfNoneMatch: '*' }),
      );
      await client.send(
        new PutObjectCommand({ Bucket: bucket, Key: key, Body: 'second', IfNoneMatch: '*' }),
      );
      expect(await textOf(client, key)).toBe('second');
    } finally {
      await stopTestClient({ server, client });
    }
  });
});
