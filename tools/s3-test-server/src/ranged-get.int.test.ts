// These tests check byte-range GETs as S3 answers them, which the test server imitates because
// s3rver returns the whole object for a range ending at byte 0 (`bytes=0-0`).
import { GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { beforeAll, describe, expect, it } from 'vitest';
import { s3ErrorOf, useTestClient } from './testing/test-client.js';

const bucket = 'cairn-test';
const key = 'ranged/object.bin';
const size = 1000;
const bytes = Buffer.from(Array.from({ length: size }, (_, index) => (index * 7 + 3) & 0xff));

describe('ranged GETs imitated in s3rver', () => {
  const s3 = useTestClient();
  let etag: string | undefined;

  beforeAll(async () => {
    etag = (await s3.client.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: bytes })))
      .ETag;
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
      const got = await s3.client.send(
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
    const error = await s3ErrorOf(
      s3.client.send(new GetObjectCommand({ Bucket: bucket, Key: key, Range: `bytes=${size}-` })),
    );
    expect(error.$metadata.httpStatusCode).toBe(416);
    expect(error.name).toBe('InvalidRange');
  });

  it('a range ending before it starts is ignored, as S3 ignores a malformed Range', async () => {
    const got = await s3.client.send(
      new GetObjectCommand({ Bucket: bucket, Key: key, Range: 'bytes=5-3' }),
    );
    const received = Buffer.from((await got.Body?.transformToByteArray()) ?? []);
    expect(got.$metadata.httpStatusCode).toBe(200);
    expect(received.equals(bytes)).toBe(true);
    expect(got.ContentRange).toBeUndefined();
  });
});
