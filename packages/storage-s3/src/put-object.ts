import { createHash, randomBytes } from 'node:crypto';
import { pipeline } from 'node:stream';
import {
  AbortMultipartUploadCommand,
  HeadObjectCommand,
  PutObjectCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import {
  abortedError,
  CairnError,
  isCairnError,
  type ObjectInfo,
  type PutOptions,
  type StorageBody,
  sha256Of,
  toReadable,
  validateKey,
  validatePutOptions,
} from '@cairn/kernel';
import { AbortedRead, type LeadingBytes, readLeadingBytes } from './leading-bytes.js';
import { finalS3Error, type S3RequestContext } from './map-s3-error.js';
import {
  contentDigestMetadataKey,
  ownMetadataKeys,
  type S3Context,
  s3KeyOf,
  writeTokenMetadataKey,
} from './s3-context.js';
import { s3StorageName } from './s3-storage-options.js';
import { VerifyingDigest } from './verifying-digest.js';

/** The S3 condition headers of a put. */
interface Conditions {
  readonly IfNoneMatch?: string;
  readonly IfMatch?: string;
}

/** What both ways of writing share. */
interface PreparedPut {
  readonly key: string;
  readonly s3Key: string;
  readonly options: PutOptions;
  readonly conditions: Conditions;
  readonly metadata: Record<string, string>;
  readonly request: S3RequestContext;
}

function userMetadata(options: PutOptions): Record<string, string> {
  const metadata: Record<string, string> = {};
  for (const [name, value] of Object.entries(options.metadata ?? {})) {
    // A caller's value under the backend's own names would vouch for bytes it never checked.
    if (!ownMetadataKeys.has(name)) metadata[name] = value;
  }
  return metadata;
}

/**
 * A store without conditional writes gets a look first: right for one writer, which is all
 * such a store can safely serve (the kernel refuses multi-writer operations on it).
 */
async function checkConditionsByLooking(
  context: S3Context,
  prepared: Omit<PreparedPut, 'conditions'>,
): Promise<void> {
  const { options } = prepared;
  if (options.ifNoneMatch === undefined && options.ifMatch === undefined) return;
  const request = { ...prepared.request, operation: 'HeadObject' };
  let current: { ETag?: string | undefined } | undefined;
  try {
    current = await context.client.send(
      new HeadObjectCommand({ Bucket: context.options.bucket, Key: prepared.s3Key }),
      options.signal === undefined ? {} : { abortSignal: options.signal },
    );
  } catch (error) {
    const mapped = finalS3Error(error, request);
    if (!isCairnError(mapped, 'NOT_FOUND')) throw mapped;
  }
  const holds =
    options.ifNoneMatch !== undefined ? current === undefined : current?.ETag === options.ifMatch;
  if (holds) return;
  throw new CairnError({
    code: 'PRECONDITION_FAILED',
    backend: s3StorageName,
    message: `Put of "${prepared.key}" did not hold its condition: ${options.ifNoneMatch !== undefined ? 'the object already exists' : current === undefined ? 'the object does not exist' : 'the object changed since it was read'}.`,
    details: { key: prepared.key },
  });
}

/**
 * A conditional put that lost its answer (a reset or a 5xx after S3 committed it) is retried
 * and then finds its own object in the way. The token it wrote tells: the object is ours.
 */
async function ownEarlierWrite(
  context: S3Context,
  prepared: PreparedPut,
): Promise<{ ETag?: string | undefined; LastModified?: Date | undefined } | undefined> {
  const token = prepared.metadata[writeTokenMetadataKey];
  if (token === undefined) return undefined;
  try {
    const current = await context.client.send(
      new HeadObjectCommand({ Bucket: context.options.bucket, Key: prepared.s3Key }),
    );
    return current.Metadata?.[writeTokenMetadataKey] === token ? current : undefined;
  } catch {
    // Unknown either way: report the conflict the write itself got.
    return undefined;
  }
}

/**
 * S3 answers `If-Match` on a missing key with 404; the contract calls that a failed
 * precondition (there is nothing to replace).
 */
function conditionOutcome(prepared: PreparedPut, error: CairnError): CairnError {
  if (prepared.conditions.IfMatch === undefined || !isCairnError(error, 'NOT_FOUND')) return error;
  return new CairnError({
    code: 'PRECONDITION_FAILED',
    backend: s3StorageName,
    message: `Put of "${prepared.key}" did not hold its condition: the object to replace (If-Match) does not exist.`,
    cause: error,
    details: { key: prepared.key },
  });
}

function bodyFailed(key: string, error: unknown): CairnError {
  if (isCairnError(error)) return error;
  return new CairnError({
    code: 'PERMANENT_IO',
    backend: s3StorageName,
    message: `Writing "${key}" failed: the body stream failed (${error instanceof Error ? error.message : String(error)}); nothing was stored.`,
    cause: error,
    details: { key },
  });
}

function corruptBody(
  key: string,
  sha256: string,
  expectedSha256: string,
  size: number,
): CairnError {
  return new CairnError({
    code: 'CORRUPT_DATA',
    backend: s3StorageName,
    message: `The bytes given for "${key}" have SHA-256 ${sha256}, not the expected ${expectedSha256}; nothing was stored. Check the source of the bytes.`,
    details: { key, sha256, expectedSha256, size },
  });
}

async function putBytes(
  context: S3Context,
  prepared: PreparedPut,
  bytes: Buffer,
): Promise<ObjectInfo> {
  const { key, options } = prepared;
  const sha256 = sha256Of(bytes);
  const expected = options.expectedSha256?.toLowerCase();
  if (expected !== undefined && expected !== sha256) {
    throw corruptBody(key, sha256, expected, bytes.length);
  }
  try {
    const output = await context.client.send(
      new PutObjectCommand({
        Bucket: context.options.bucket,
        Key: prepared.s3Key,
        Body: bytes,
        ContentLength: bytes.length,
        // S3 checks it on arrival: bytes damaged on the way are refused, not stored.
        ContentMD5: createHash('md5').update(bytes).digest('base64'),
        ...(options.contentType === undefined ? {} : { ContentType: options.contentType }),
        Metadata: { ...prepared.metadata, [contentDigestMetadataKey]: sha256 },
        ...prepared.conditions,
      }),
      options.signal === undefined ? {} : { abortSignal: options.signal },
    );
    return describeWritten(key, bytes.length, output.ETag, sha256, options);
  } catch (error) {
    const mapped = conditionOutcome(prepared, finalS3Error(error, prepared.request));
    const ours = await ownWriteDespite(context, prepared, mapped);
    if (ours !== undefined) return describeWritten(key, bytes.length, ours.ETag, sha256, options);
    throw mapped;
  }
}

/**
 * Whether a put that failed with `error` in fact stored its object: a request whose answer was
 * lost (after the store committed it) and was then retried meets its own object as "taken"
 * (412), or its own completed upload as gone (NoSuchUpload), or runs out of retries, or is
 * aborted while in flight. The put's token tells; the object is then returned, as the work is
 * done.
 */
async function ownWriteDespite(
  context: S3Context,
  prepared: PreparedPut,
  error: CairnError,
): Promise<{ ETag?: string | undefined } | undefined> {
  const mayHaveLanded =
    ['PRECONDITION_FAILED', 'TRANSIENT_IO', 'ABORTED'].includes(error.code) ||
    error.details.s3Code === 'NoSuchUpload';
  return mayHaveLanded ? ownEarlierWrite(context, prepared) : undefined;
}

async function putStream(
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

function describeWritten(
  key: string,
  size: number,
  etag: string | undefined,
  sha256: string | undefined,
  options: PutOptions,
): ObjectInfo {
  if (etag === undefined) {
    throw new CairnError({
      code: 'PERMANENT_IO',
      backend: s3StorageName,
      message: `The store accepted "${key}" but returned no ETag. An S3-compatible store must return one; behind a proxy or CORS setup, expose the ETag header.`,
      details: { key },
    });
  }
  return {
    key,
    size,
    etag,
    // The store's own time is not in a put's answer; the client's clock is close enough for
    // display, and a head reports the store's.
    lastModified: new Date(),
    ...(sha256 === undefined ? {} : { sha256 }),
    ...(options.contentType === undefined ? {} : { contentType: options.contentType }),
  };
}

/**
 * Writes one object. A body that fits in one part (`partSizeBytes`) is sent in one PutObject
 * with its SHA-256 checked before and recorded in metadata and its MD5 checked by S3; a longer
 * one streams through lib-storage's multipart upload with at most `concurrency` parts in
 * memory, its digest checked before the upload completes. Either way the object appears whole
 * or not at all.
 */
export async function putObject(
  context: S3Context,
  key: string,
  body: StorageBody,
  options: PutOptions = {},
): Promise<ObjectInfo> {
  validateKey(key, { backend: s3StorageName, maxBytes: context.maxKeyBytes });
  validatePutOptions(key, options, s3StorageName);
  if (options.signal?.aborted) {
    throw abortedError(s3StorageName, options.signal.reason, `Writing "${key}"`, {
      details: { key },
    });
  }
  const s3Key = s3KeyOf(context, key);
  const metadata = userMetadata(options);
  metadata[writeTokenMetadataKey] = randomBytes(8).toString('hex');
  const base = {
    key,
    s3Key,
    options,
    metadata,
    request: { operation: 'PutObject', bucket: context.options.bucket, key: s3Key },
  };
  let conditions: Conditions = {};
  if (!context.options.conditionalWrites) {
    await checkConditionsByLooking(context, base);
  } else if (options.ifNoneMatch !== undefined) {
    conditions = { IfNoneMatch: '*' };
  } else if (options.ifMatch !== undefined) {
    conditions = { IfMatch: options.ifMatch };
  }
  const prepared: PreparedPut = { ...base, conditions };
  if (typeof body === 'string') return putBytes(context, prepared, Buffer.from(body, 'utf8'));
  if (body instanceof Uint8Array && body.length <= context.options.partSizeBytes) {
    return putBytes(context, prepared, Buffer.from(body.buffer, body.byteOffset, body.length));
  }
  let leading: LeadingBytes;
  try {
    leading = await readLeadingBytes(
      toReadable(body),
      context.options.partSizeBytes,
      options.signal,
    );
  } catch (error) {
    if (options.signal?.aborted) {
      throw abortedError(s3StorageName, options.signal.reason, `Writing "${key}"`, {
        hint: 'Nothing was stored.',
        details: { key },
      });
    }
    throw bodyFailed(key, error);
  }
  if (leading.ended) return putBytes(context, prepared, leading.bytes);
  return putStream(context, prepared, leading.rest as NodeJS.ReadableStream);
}
