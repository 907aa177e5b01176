import { createHash, randomBytes } from 'node:crypto';
import { HeadObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
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
import { finalS3Error } from './final-s3-error.js';
import { type LeadingBytes, readLeadingBytes } from './leading-bytes.js';
import {
  bodyFailed,
  type Conditions,
  conditionOutcome,
  describeWritten,
  ownWriteDespite,
  type PreparedPut,
} from './prepared-put.js';
import { putStream } from './put-stream.js';
import {
  contentDigestMetadataKey,
  ownMetadataKeys,
  type S3Context,
  s3KeyOf,
  writeTokenMetadataKey,
} from './s3-context.js';
import { s3StorageName } from './s3-storage-options.js';

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
