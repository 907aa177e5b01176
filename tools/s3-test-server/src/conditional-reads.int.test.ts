// These tests check GET and HEAD with conditional headers as S3 answers them, which the test
// server imitates because s3rver ignores If-Match and If-Unmodified-Since on reads.
import { GetObjectCommand, HeadObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { describe, expect, it } from 'vitest';
import { s3ErrorOf, useTestClient } from './testing/test-client.js';

const bucket = 'cairn-test';

/** The HTTP status a send rejected with (fails the test if it resolved). */
async function rejectedStatusOf(sending: Promise<unknown>): Promise<number | undefined> {
  return (await s3ErrorOf(sending)).$metadata.httpStatusCode;
}

describe('conditional reads imitated in s3rver', () => {
  const s3 = useTestClient();

  it('a ranged GET with If-Match of a replaced version answers 412, so a resumed read never splices versions', async () => {
    const key = 'conditional/resume.txt';
    const first = await s3.client.send(
      new PutObjectCommand({ Bucket: bucket, Key: key, Body: 'the first version' }),
    );
    const resumed = await s3.client.send(
      new GetObjectCommand({ Bucket: bucket, Key: key, Range: 'bytes=4-', IfMatch: first.ETag }),
    );
    expect(await resumed.Body?.transformToString()).toBe('first version');

    await s3.client.send(
      new PutObjectCommand({ Bucket: bucket, Key: key, Body: 'a second version' }),
    );
    const error = await s3ErrorOf(
      s3.client.send(
        new GetObjectCommand({ Bucket: bucket, Key: key, Range: 'bytes=4-', IfMatch: first.ETag }),
      ),
    );
    expect(error.$metadata.httpStatusCode).toBe(412);
    expect(error.name).toBe('PreconditionFailed');
    expect(
      await rejectedStatusOf(
        s3.client.send(new HeadObjectCommand({ Bucket: bucket, Key: key, IfMatch: first.ETag })),
      ),
    ).toBe(412);
  });

  it('If-None-Match with the current ETag answers 304; another ETag reads the object', async () => {
    const key = 'conditional/none-match.txt';
    const put = await s3.client.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: 'x' }));
    expect(
      await rejectedStatusOf(
        s3.client.send(new GetObjectCommand({ Bucket: bucket, Key: key, IfNoneMatch: put.ETag })),
      ),
    ).toBe(304);
    const got = await s3.client.send(
      new GetObjectCommand({ Bucket: bucket, Key: key, IfNoneMatch: '"0123"' }),
    );
    expect(await got.Body?.transformToString()).toBe('x');
  });

  it('If-Unmodified-Since before the last write answers 412, If-Match wins over it', async () => {
    const key = 'conditional/unmodified.txt';
    const put = await s3.client.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: 'y' }));
    const longAgo = new Date('2001-01-01T00:00:00Z');
    expect(
      await rejectedStatusOf(
        s3.client.send(
          new GetObjectCommand({ Bucket: bucket, Key: key, IfUnmodifiedSince: longAgo }),
        ),
      ),
    ).toBe(412);
    const got = await s3.client.send(
      new GetObjectCommand({
        Bucket: bucket,
        Key: key,
        IfMatch: put.ETag,
        IfUnmodifiedSince: longAgo,
      }),
    );
    expect(await got.Body?.transformToString()).toBe('y');
  });
});
