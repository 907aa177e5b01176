// These tests check byte-range GETs as S3 answers them, which the test server imitates because
// s3rver returns the whole object for a range ending at byte 0 (`bytes=0-0`).
import {
  GetObjectCommand,
  PutObjectCommand,
  S3Client,
  S3ServiceException,
} from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type S3TestServer, startS3Server } from './start-s3-server.js';

const bucket = 'cairn-test';
const key = 'ranged/object.bin';
const size = 1000;
const bytes = Buffer.from(Array.from({ length: size }, (_, index) => (index * 7 + 3) & 0xff));

describe('ranged GETs imitated in s3rver', () => {
  let server: S3TestServer;
  let client: S3Client;
  let etag: string | undefined;

  beforeAll(async () => {
    server = await startS3Server();
    client = new S3Client({ ...server.clientConfig(), maxAttempts: 1 });
    etag = (await client.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: bytes })))
      .ETag;
  });

  afterAll(async () => {
    client?.destroy();
    await server?.stop();
  });

  it.each([
    ['bytes=0-0', 0, 0],
    ['bytes=0-9', 0, 9],
    ['bytes=3-17', 3, 17],
    ['bytes=999-999', 999, 999],
    ['bytes=998-', 998, 999],
    ['bytes=0-', 0, 999],
    ['bytes=990-5000', 990, 999],
  ])(
    '%s answers 206 with exactly those bytes and Content-Range bytes %i-%i/1000',
    async (range, start, end) => {
      const got = await client.send(
        new GetObjectCommand({ Bucket: bucket, Key: key, Range: range }),
      );
      const received = Buffer.from((await got.Body?.transformToByteArray()) ?? []);
      expect(got.$metadata.httpStatusCode).toBe(206);
      expect(received.equals(bytes.subarray(start, end + 1))).toBe(true);
      expect(got.ContentLength).toBe(end + 1 - start);
      expect(got.ContentRange).toBe(`bytes ${start}-${end}/${size}`);
      expect(got.ETag).toBe(etag);
    },
  );

  it('a range starting past the last byte answers 416 InvalidRange', async () => {
    const error = await client
      .send(new GetObjectCommand({ Bucket: bucket, Key: key, Range: `bytes=${size}-` }))
      .then(
        () => undefined,
        (rejection: unknown) => rejection,
      );
    expect(error).toBeInstanceOf(S3ServiceException);
    expect((error as S3ServiceException).$metadata.httpStatusCode).toBe(416);
    expect((error as S3ServiceException).name).toBe('InvalidRange');
  });

  it('a range ending before it starts is ignored, as S3 ignores a malformed Range', async () => {
    const got = await client.send(
      new GetObjectCommand({ Bucket: bucket, Key: key, Range: 'bytes=5-3' }),
    );
    const received = Buffer.from((await got.Body?.transformToByteArray()) ?? []);
    expect(got.$metadata.httpStatusCode).toBe(200);
    expect(received.equals(bytes)).toBe(true);
    expect(got.ContentRange).toBeUndefined();
  });
});
