// These tests check that overwrites are atomic as on S3, which the test server imitates because
// s3rver rewrites an object's file in place and its ETag in another file.
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import {
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  GetObjectCommand,
  type GetObjectCommandOutput,
  HeadObjectCommand,
  PutObjectCommand,
  UploadPartCommand,
} from '@aws-sdk/client-s3';
import { describe, expect, it } from 'vitest';
import { useTestClient } from './testing/test-client.js';

const bucket = 'cairn-test';
const chunkBytes = 256 * 1024;

/** Deterministic bytes that differ for each seed at every offset. */
function patterned(size: number, seed: number): Buffer {
  const bytes = Buffer.alloc(size);
  for (let index = 0; index < size; index += 1) bytes[index] = (index * 31 + seed * 97) & 0xff;
  return bytes;
}

function md5Of(bytes: Buffer): string {
  return `"${createHash('md5').update(bytes).digest('hex')}"`;
}

/** What one reader saw: the ETag and length it was told, and the bytes it streamed. */
interface Reading {
  readonly etag: string | undefined;
  readonly contentLength: number | undefined;
  readonly bytes: Buffer;
}

async function finishReading(
  output: GetObjectCommandOutput,
  iterator: AsyncIterator<Uint8Array>,
  firstChunks: Buffer[] = [],
): Promise<Reading> {
  const chunks = [...firstChunks];
  for (let step = await iterator.next(); !step.done; step = await iterator.next()) {
    chunks.push(Buffer.from(step.value));
  }
  return { etag: output.ETag, contentLength: output.ContentLength, bytes: Buffer.concat(chunks) };
}

function iteratorOf(output: GetObjectCommandOutput): AsyncIterator<Uint8Array> {
  return (output.Body as unknown as AsyncIterable<Uint8Array>)[Symbol.asyncIterator]();
}

/** Checks a reader got one whole version and the ETag and length of that same version. */
function expectWholeVersion(reading: Reading, versions: readonly Buffer[], reader: string): void {
  const version = versions.find((candidate) => candidate.equals(reading.bytes));
  expect(version, `${reader}: all old or all new bytes`).toBeDefined();
  expect(reading.etag, `${reader}: the ETag of the bytes it read`).toBe(md5Of(version as Buffer));
  expect(reading.contentLength, `${reader}: the length of the bytes it read`).toBe(version?.length);
}

/**
 * A request body handed out a chunk at a time, that stops at `pauseAt` bytes until `resume()`
 * and reports when the pause is reached; the client has then sent everything before it.
 */
function pausingBody(bytes: Buffer, pauseAt: number) {
  let offset = 0;
  let paused = false;
  let reachedPause = () => {};
  const pauseReached = new Promise<void>((resolve) => {
    reachedPause = resolve;
  });
  const readable = new Readable({
    read() {
      if (offset >= bytes.length) {
        this.push(null);
        return;
      }
      if (offset >= pauseAt && !paused) {
        paused = true;
        reachedPause();
        return;
      }
      const end = Math.min(offset + chunkBytes, offset < pauseAt ? pauseAt : bytes.length);
      this.push(bytes.subarray(offset, end));
      offset = end;
    },
  });
  return {
    readable,
    pauseReached,
    resume: () => {
      readable.push(bytes.subarray(offset, Math.min(offset + chunkBytes, bytes.length)));
      offset = Math.min(offset + chunkBytes, bytes.length);
    },
  };
}

describe('atomic overwrites imitated in s3rver', () => {
  const s3 = useTestClient();

  it('PutObject: readers opened before and during an overwrite see one whole version with its own ETag and length', async () => {
    const key = 'atomic/put.bin';
    // Larger than the socket buffers, so the early reader is still reading the file when the
    // overwrite starts; the versions differ in length, so a wrong Content-Length shows.
    const oldBytes = patterned(16 * 1024 * 1024, 1);
    const newBytes = patterned(12 * 1024 * 1024, 2);
    await s3.client.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: oldBytes }));

    const early = await s3.client.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
    const earlyIterator = iteratorOf(early);
    const earlyFirst = await earlyIterator.next();

    const body = pausingBody(newBytes, newBytes.length / 2);
    const putting = s3.client.send(
      new PutObjectCommand({
        Bucket: bucket,
        Key: key,
        Body: body.readable,
        ContentLength: newBytes.length,
      }),
    );
    await body.pauseReached;
    // Half the new body has gone to the server: read and HEAD the object now.
    const headDuring = await s3.client.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
    const during = await s3.client.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
    const duringReading = await finishReading(during, iteratorOf(during));
    body.resume();
    const put = await putting;
    const earlyReading = await finishReading(early, earlyIterator, [
      Buffer.from(earlyFirst.value ?? []),
    ]);

    expectWholeVersion(earlyReading, [oldBytes, newBytes], 'reader opened before');
    expectWholeVersion(duringReading, [oldBytes, newBytes], 'reader opened during');
    expect(earlyReading.bytes.equals(oldBytes), 'the early reader keeps the old version').toBe(
      true,
    );
    expect(headDuring.ETag, 'HEAD during the overwrite names a whole version').toBe(
      headDuring.ContentLength === oldBytes.length ? md5Of(oldBytes) : md5Of(newBytes),
    );
    expect(put.ETag).toBe(md5Of(newBytes));
    const after = await s3.client.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
    expectWholeVersion(await finishReading(after, iteratorOf(after)), [newBytes], 'reader after');
  });

  it('CompleteMultipartUpload: a reader opened before the completion keeps the old version', async () => {
    const key = 'atomic/multipart.bin';
    const oldBytes = patterned(16 * 1024 * 1024, 3);
    const parts = [patterned(5 * 1024 * 1024, 4), patterned(1024 * 1024, 5)];
    const newBytes = Buffer.concat(parts);
    await s3.client.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: oldBytes }));
    const created = await s3.client.send(
      new CreateMultipartUploadCommand({ Bucket: bucket, Key: key }),
    );
    const uploaded = [];
    for (const [index, part] of parts.entries()) {
      const answer = await s3.client.send(
        new UploadPartCommand({
          Bucket: bucket,
          Key: key,
          UploadId: created.UploadId,
          PartNumber: index + 1,
          Body: part,
        }),
      );
      uploaded.push({ PartNumber: index + 1, ETag: answer.ETag });
    }

    const early = await s3.client.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
    const earlyIterator = iteratorOf(early);
    const earlyFirst = await earlyIterator.next();
    await s3.client.send(
      new CompleteMultipartUploadCommand({
        Bucket: bucket,
        Key: key,
        UploadId: created.UploadId,
        MultipartUpload: { Parts: uploaded },
      }),
    );
    const earlyReading = await finishReading(early, earlyIterator, [
      Buffer.from(earlyFirst.value ?? []),
    ]);
    expectWholeVersion(earlyReading, [oldBytes], 'reader opened before the completion');

    const after = await s3.client.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
    expectWholeVersion(await finishReading(after, iteratorOf(after)), [newBytes], 'reader after');
  });
});
