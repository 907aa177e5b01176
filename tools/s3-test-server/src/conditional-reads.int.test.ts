// These tests check GET and HEAD with conditional headers as S3 answers them, which the test
// server imitates because s3rver ignores If-Match and If-Unmodified-Since on reads.
import {
  GetObjectCommand,
  HeadObjectCommand,
  PutObjectCommand,
  S3Client,
  S3ServiceException,
} from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type S3TestServer, startS3Server } from './start-s3-server.js';

const bucket = 'cairn-test';

/** The HTTP status a send rejected with (fails the test if it resolved). */
async function rejectedStatusOf(sending: Promise<unknown>): Promise<number | undefined> {
  const outcome = await sending.then(
    () => undefined,
    (error: unknown) => error,
  );
  expect(outcome).toBeInstanceOf(S3ServiceException);
  return (outcome as S3ServiceException).$metadata.httpStatusCode;
}

describe('conditional reads imitated in s3rver', () => {
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

  it('a ranged GET with If-Match of a replaced version answers 412, so a resumed read never splices versions', async () => {
    const key = 'conditional/resume.txt';
    const first = await client.send(
      new PutObjectCommand({ Bucket: bucket, Key: key, Body: 'the first version' }),
    );
    const resumed = await client.send(
      new GetObjectCommand({ Bucket: bucket, Key: key, Range: 'bytes=4-', IfMatch: first.ETag }),
    );
    expect(await resumed.Body?.transformToString()).toBe('first version');

    await client.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: 'a second version' }));
    const error = await client
      .send(
        new GetObjectCommand({ Bucket: bucket, Key: key, Range: 'bytes=4-', IfMatch: first.ETag }),
      )
      .then(
        () => undefined,
        (rejection: unknown) => rejection as S3ServiceException,
      );
    expect(error?.$metadata.httpStatusCode).toBe(412);
    expect(error?.name).toBe('PreconditionFailed');
    expect(
      await rejectedStatusOf(
        client.send(new HeadObjectCommand({ Bucket: bucket, Key: key, IfMatch: first.ETag })),
      ),
    ).toBe(412);
  });

  it('If-None-Match with the current ETag answers 304; another ETag reads the object', async () => {
    const key = 'conditional/none-match.txt';
    const put = await client.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: 'x' }));
    expect(
      await rejectedStatusOf(
        client.send(new GetObjectCommand({ Bucket: bucket, Key: key, IfNoneMatch: put.ETag })),
      ),
    ).toBe(304);
    const got = await client.send(
      new GetObjectCommand({ Bucket: bucket, Key: key, IfNoneMatch: '"0123"' }),
    );
    expect(await got.Body?.transformToString()).toBe('x');
  });

  it('If-Unmodified-Since before the last write answers 412, If-Match wins over it', async () => {
    const key = 'conditional/unmodified.txt';
    const put = await client.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: 'y' }));
    const longAgo = new Date('2001-01-01T00:00:00Z');
    expect(
      await rejectedStatusOf(
        client.send(new GetObjectCommand({ Bucket: bucket, Key: key, IfUnmodifiedSince: longAgo })),
      ),
    ).toBe(412);
    const got = await client.send(
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
