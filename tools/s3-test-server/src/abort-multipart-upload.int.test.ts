// These tests check AbortMultipartUpload and unknown upload ids as S3 answers them, which the
// test server imitates because s3rver answers the abort with 405 MethodNotAllowed.
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  HeadObjectCommand,
  UploadPartCommand,
} from '@aws-sdk/client-s3';
import { describe, expect, it } from 'vitest';
import { s3ErrorOf, useTestClient } from './testing/test-client.js';

const bucket = 'cairn-test';

describe('multipart uploads imitated in s3rver', () => {
  const s3 = useTestClient();

  async function startUpload(key: string) {
    const created = await s3.client.send(
      new CreateMultipartUploadCommand({ Bucket: bucket, Key: key }),
    );
    const uploadId = created.UploadId ?? '';
    const part = await s3.client.send(
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
    const aborted = await s3.client.send(
      new AbortMultipartUploadCommand({ Bucket: bucket, Key: key, UploadId: uploadId }),
    );
    expect(aborted.$metadata.httpStatusCode).toBe(204);

    const completing = await s3ErrorOf(
      s3.client.send(
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
      s3.client.send(
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
      s3.client.send(
        new AbortMultipartUploadCommand({ Bucket: bucket, Key: key, UploadId: uploadId }),
      ),
    );
    expect(again.name).toBe('NoSuchUpload');
    expect(again.$metadata.httpStatusCode).toBe(404);
    const head = await s3ErrorOf(
      s3.client.send(new HeadObjectCommand({ Bucket: bucket, Key: key })),
    );
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
        s3.client.send(new AbortMultipartUploadCommand({ Bucket: bucket, Key: key, UploadId: id })),
      );
      expect(error.name, `${key} ${id}`).toBe('NoSuchUpload');
      expect(error.$metadata.httpStatusCode).toBe(404);
    }
    // The upload survived the wrong-key abort.
    const completed = await s3.client.send(
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
        s3.client.send(
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
    const head = await s3ErrorOf(
      s3.client.send(new HeadObjectCommand({ Bucket: bucket, Key: key })),
    );
    expect(head.$metadata.httpStatusCode).toBe(404);
  });
});
