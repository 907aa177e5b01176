import { pipeline } from 'node:stream';
import { AbortMultipartUploadCommand, type S3Client } from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { abortedError, type CairnError, type ObjectInfo } from '@cairn/kernel';
import { finalS3Error } from './final-s3-error.js';
import { AbortedRead } from './leading-bytes.js';
import {
  bodyFailed,
  conditionOutcome,
  describeWritten,
  ownWriteDespite,
  type PreparedPut,
} from './prepared-put.js';
import { contentDigestMetadataKey, type S3Context } from './s3-context.js';
import { s3StorageName } from './s3-storage-options.js';
import { VerifyingDigest } from './verifying-digest.js';

/**
 * Writes a body longer than one part through lib-storage's multipart upload: at most
 * `concurrency` parts in memory, hashed on the way, the digest checked before the upload
 * completes. A failed or aborted upload has its parts removed, unless its completion landed
 * after all, in which case the object is returned.
 */
export async function putStream(
  context: S3Context,
  prepared: PreparedPut,
  rest: NodeJS.ReadableStream,
): Promise<ObjectInfo> {
  const { key, options } = prepared;
  const expected = options.expectedSha256?.toLowerCase();
  const digest = new VerifyingDigest(key, expected);
  pipeline(rest, digest, () => {
    // A failed source or a digest mismatch surfaces as the upload's error.
  });
  // The caller's signal reaches every request lib-storage sends (it passes none itself), and a
  // stalled source is ended, so the upload settles only once nothing of it is in flight.
  const { signal } = options;
  const onAbort = () => digest.destroy(new AbortedRead(signal?.reason));
  signal?.addEventListener('abort', onAbort, { once: true });
  // Aborted while the first part was read ahead: the event has been and gone.
  if (signal?.aborted) onAbort();
  const upload = new Upload({
    client: signal === undefined ? context.client : withAbortSignal(context.client, signal),
    params: {
      Bucket: context.options.bucket,
      Key: prepared.s3Key,
      Body: digest,
      ...(options.contentType === undefined ? {} : { ContentType: options.contentType }),
      // Known before the first byte only when the caller gave it; it is checked before the
      // upload completes, so what the metadata says is what was stored.
      Metadata: {
        ...prepared.metadata,
        ...(expected === undefined ? {} : { [contentDigestMetadataKey]: expected }),
      },
      ...prepared.conditions,
    },
    partSize: context.options.partSizeBytes,
    queueSize: context.options.concurrency,
    // lib-storage's own clean-up replaces the upload's error with the clean-up's when that
    // fails too; the parts are removed below instead, keeping the error that matters.
    leavePartsOnError: true,
  });
  try {
    const output = await upload.done();
    return describeWritten(key, digest.bytesPassed, output.ETag, digest.sha256, options);
  } catch (error) {
    digest.destroy();
    const mapped = streamFailure(prepared, digest, rest, error);
    const ours = await ownWriteDespite(context, prepared, mapped);
    if (ours !== undefined) {
      return describeWritten(key, digest.bytesPassed, ours.ETag, digest.sha256, options);
    }
    await abandonUpload(context, prepared, upload);
    throw mapped;
  } finally {
    signal?.removeEventListener('abort', onAbort);
  }
}

/** What a failed multipart upload reports: the caller's abort, the source's failure, or S3's. */
function streamFailure(
  prepared: PreparedPut,
  digest: VerifyingDigest,
  rest: NodeJS.ReadableStream,
  error: unknown,
): CairnError {
  const { key, options } = prepared;
  if (options.signal?.aborted) {
    return abortedError(s3StorageName, options.signal.reason, `Writing "${key}"`, {
      hint: 'The multipart upload was abandoned; a completion already in flight may still have stored the object.',
      details: { key },
    });
  }
  // The source's own failure (or the digest check) is the caller's error, not S3's.
  const sourceError = digest.errored ?? (rest as { errored?: unknown }).errored;
  if (sourceError !== null && sourceError !== undefined) return bodyFailed(key, sourceError);
  return conditionOutcome(
    prepared,
    finalS3Error(error, { ...prepared.request, operation: 'CompleteMultipartUpload' }),
  );
}

/** The client, with `signal` added to every request sent through it. */
function withAbortSignal(client: S3Client, signal: AbortSignal): S3Client {
  return new Proxy(client, {
    get(target, property, receiver) {
      if (property !== 'send') return Reflect.get(target, property, receiver);
      return (command: Parameters<S3Client['send']>[0], sendOptions?: object) =>
        target.send(command, { ...sendOptions, abortSignal: signal });
    },
  });
}

/**
 * Removes the parts of an upload that will not complete, so they stop costing storage. Best
 * effort: a bucket lifecycle rule (AbortIncompleteMultipartUpload) catches what this misses.
 */
async function abandonUpload(context: S3Context, prepared: PreparedPut, upload: Upload) {
  // lib-storage keeps the id it was given by CreateMultipartUpload on the instance.
  const uploadId = (upload as unknown as { uploadId?: string }).uploadId;
  if (uploadId === undefined) return;
  await context.client
    .send(
      new AbortMultipartUploadCommand({
        Bucket: context.options.bucket,
        Key: prepared.s3Key,
        UploadId: uploadId,
      }),
    )
    .catch(() => {
      // The upload's own error is what the caller needs; leftover parts are only a cost.
    });
}
