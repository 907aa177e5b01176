// These tests check AbortMultipartUpload and unknown upload ids as S3 answers them, which the
// test server imitates because s3rver answers the abort with 405 MethodNotAllowed.
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  HeadObjectCommand,
  S3Client,
  S3ServiceException,
  UploadPartCommand,
} from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type S3TestServer, startS3Server } from './start-s3-server.js';

const bucket = 'cairn-test';

/** The S3 error a send rejected with (fails the test if it resolved). */
async function s3ErrorOf(sending: Promise<unknown>): Promise<S3ServiceException> {
  const outcome = await sending.then(
    () => undefined,
    (error: unknown) => error,
  );
  expect(outcome).toBeInstanceOf(S3ServiceException);
  return outcome as S3ServiceException;
}

describe('multipart uploads imitated in s3rver', () => {
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

  async function startUpload(key: string) {
    const created = await client.send(
      new CreateMultipartUploadCommand({ Bucket: bucket, Key: key }),
    );
    const uploadId = created.UploadId ?? '';
    const part = await client.send(
      new UploadPartCommand({
        Bucket: bucket,
        Key: key,
        UploadId: uploadId,
        PartNumber: 1,
        Body: 'the only part',
      }),
    );
    return { uploadId, parts: [{ PartNumber: 1, ETag: part.ETag ?? '' }] };
  }

  it('AbortMultipartUpload answers 204 and the upload is gone: its parts can be neither added nor completed', async () => {
    const key = 'abort/one';
    const { uploadId, parts } = await startUpload(key);
    const aborted = await client.send(
      new AbortMultipartUploadCommand({ Bucket: bucket, Key: key, UploadId: uploadId }),
    );
    expect(aborted.$metadata.httpStatusCode).toBe(204);

    const completing = await s3ErrorOf(
      client.send(
        new CompleteMultipartUploadCommand({
          Bucket: bucket,
          Key: key,
          UploadId: uploadId,
          MultipartUpload: { Parts: parts },
        }),
      ),
    );
    expect(completing.name).toBe('NoSuchUpload');
    expect(completing.$metadata.httpStatusCode).toBe(404);
    const adding = await s3ErrorOf(
      client.send(
        new UploadPartCommand({
          Bucket: bucket,
          Key: key,
          UploadId: uploadId,
          PartNumber: 2,
          Body: 'x',
        }),
      ),
    );
    expect(adding.name).toBe('NoSuchUpload');
    const again = await s3ErrorOf(
      client.send(
        new AbortMultipartUploadCommand({ Bucket: bucket, Key: key, UploadId: uploadId }),
      ),
    );
    expect(again.name).toBe('NoSuchUpload');
    expect(again.$metadata.httpStatusCode).toBe(404);
    const head = await s3ErrorOf(client.send(new HeadObjectCommand({ Bucket: bucket, Key: key })));
    expect(head.$metadata.httpStatusCode).toBe(404);
  });

  it('an unknown upload id, or one started for another key, is NoSuchUpload and aborts nothing', async () => {
    const { uploadId, parts } = await startUpload('abort/kept');
    for (const [key, id] of [
      ['abort/kept', '0123456789abcdef0123456789abcdef'],
      ['abort/kept', '../../escape'],
      ['abort/other', uploadId],
    ] as const) {
      const error = await s3ErrorOf(
        client.send(new AbortMultipartUploadCommand({ Bucket: bucket, Key: key, UploadId: id })),
      );
      expect(error.name, `${key} ${id}`).toBe('NoSuchUpload');
      expect(error.$metadata.httpStatusCode).toBe(404);
    }
    // The upload survived the wrong-key abort.
    const completed = await client.send(
      new CompleteMultipartUploadCommand({
        Bucket: bucket,
        Key: 'abort/kept',
        UploadId: uploadId,
        MultipartUpload: { Parts: parts },
      }),
    );
    expect(completed.$metadata.httpStatusCode).toBe(200);
  });

  it('CompleteMultipartUpload with a part that was not uploaded, or a wrong ETag, is InvalidPart', async () => {
    const key = 'complete/invalid-part';
    const { uploadId, parts } = await startUpload(key);
    for (const wrongParts of [
      [...parts, { PartNumber: 2, ETag: parts[0]?.ETag ?? '' }],
      [{ PartNumber: 1, ETag: '"00000000000000000000000000000000"' }],
    ]) {
      const error = await s3ErrorOf(
        client.send(
          new CompleteMultipartUploadCommand({
            Bucket: bucket,
            Key: key,
            UploadId: uploadId,
            MultipartUpload: { Parts: wrongParts },
          }),
        ),
      );
      expect(error.name).toBe('InvalidPart');
      expect(error.$metadata.httpStatusCode).toBe(400);
    }
    const head = await s3ErrorOf(client.send(new HeadObjectCommand({ Bucket: bucket, Key: key })));
    expect(head.$metadata.httpStatusCode).toBe(404);
  });
});
