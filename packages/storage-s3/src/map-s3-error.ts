import { CairnError, type CairnErrorCode, isCairnError } from '@cairn/kernel';
import {
  checksumMismatch,
  describeFailure,
  type Failure,
  missingRegion,
  safeCause,
  tooManyParts,
  transientS3Codes,
  unknownHostCode,
} from './s3-failure.js';
import { s3StorageName } from './s3-storage-options.js';

/** What a request was doing when it failed, for the message. */
export interface S3RequestContext {
  /** The S3 operation, e.g. `PutObject`. */
  readonly operation: string;
  /** The bucket. */
  readonly bucket: string;
  /** The full S3 key (prefix included), when the operation has one. */
  readonly key?: string | undefined;
}

/** `s3://bucket/key` for messages. */
export function where(context: S3RequestContext): string {
  return context.key === undefined
    ? `s3://${context.bucket}`
    : `s3://${context.bucket}/${context.key}`;
}

function answer(failure: Failure): string {
  const parts = [
    failure.status === undefined ? undefined : String(failure.status),
    failure.code,
  ].filter((part) => part !== undefined);
  const head = parts.length === 0 ? 'an error' : parts.join(' ');
  // S3's own message is safe to repeat: it never carries credentials (only, for signature
  // errors, the string that was signed), and it often says exactly what is wrong.
  return failure.message && failure.message !== failure.code
    ? `${head} (${failure.message})`
    : head;
}

// The IAM action each operation needs, to say exactly what to grant.
const requiredActions: Readonly<Record<string, string>> = {
  PutObject: 's3:PutObject',
  CreateMultipartUpload: 's3:PutObject',
  UploadPart: 's3:PutObject',
  CompleteMultipartUpload: 's3:PutObject',
  AbortMultipartUpload: 's3:AbortMultipartUpload',
  GetObject: 's3:GetObject',
  HeadObject: 's3:GetObject',
  DeleteObject: 's3:DeleteObject',
  ListObjectsV2: 's3:ListBucket',
};

function permissionFor(context: S3RequestContext): string {
  const action = requiredActions[context.operation] ?? `s3:${context.operation}`;
  // ListBucket is granted on the bucket itself, object actions on the objects.
  const resource =
    action === 's3:ListBucket' || context.key === undefined
      ? `arn:aws:s3:::${context.bucket}`
      : `arn:aws:s3:::${context.bucket}/${context.key}`;
  return `${action} on ${resource}`;
}

function make(
  code: CairnErrorCode,
  message: string,
  error: unknown,
  context: S3RequestContext,
  failure: Failure,
  extra: { retryable?: boolean; retryAfterMs?: number | undefined } = {},
): CairnError {
  return new CairnError({
    code,
    backend: s3StorageName,
    message,
    cause: safeCause(error, failure),
    ...(extra.retryable === undefined ? {} : { retryable: extra.retryable }),
    ...(extra.retryAfterMs === undefined ? {} : { retryAfterMs: extra.retryAfterMs }),
    details: {
      operation: context.operation,
      bucket: context.bucket,
      ...(context.key === undefined ? {} : { key: context.key }),
      ...(failure.status === undefined ? {} : { status: failure.status }),
      ...(failure.code === undefined ? {} : { s3Code: failure.code }),
      ...(failure.networkCode === undefined ? {} : { networkCode: failure.networkCode }),
    },
  });
}

// Ends the message of a transient failure; dropped again from the final error of a retry loop
// that has stopped, where it would no longer be true.
export const retriedHint = 'This usually passes; it is retried.';

/**
 * Turns an AWS SDK or socket error into the {@link CairnError} the storage contract promises:
 * `NOT_FOUND`, `PRECONDITION_FAILED`, retryable `CONFLICT` (S3's 409
 * ConditionalRequestConflict, or a multipart upload aborted under a put), `TRANSIENT_IO`
 * (throttling, 5xx, timeouts, resets, bytes damaged on the way; retried), `PERMANENT_IO`
 * (access, bucket, region, credentials, endpoint, archived objects; with what to fix),
 * `CORRUPT_DATA` (a response that fails its checksum), `UNSUPPORTED` (a store without a
 * feature the request used) or `ABORTED`. A Cairn error passes through unchanged.
 */
export function mapS3Error(error: unknown, context: S3RequestContext): CairnError {
  if (isCairnError(error, 'ABORTED') && error.backend !== s3StorageName) {
    // The retry loop's own ABORTED (a wait cut short) names the retry module; callers of the
    // storage expect the storage's.
    return new CairnError({
      code: 'ABORTED',
      backend: s3StorageName,
      message: `${context.operation} of ${where(context)} was aborted. Nothing to do if the caller cancelled on purpose.`,
      cause: error.cause,
      details: { operation: context.operation, bucket: context.bucket, key: context.key },
    });
  }
  if (isCairnError(error)) return error;
  const failure = describeFailure(error);
  const { status, code } = failure;
  const of = `${context.operation} of ${where(context)}`;
  const fail = (
    cairnCode: CairnErrorCode,
    text: string,
    extra?: { retryable?: boolean; retryAfterMs?: number | undefined },
  ) => make(cairnCode, text, error, context, failure, extra);

  if (failure.aborted) {
    return fail('ABORTED', `${of} was aborted. Nothing to do if the caller cancelled on purpose.`);
  }
  if (code === 'NoSuchBucket') {
    return fail(
      'PERMANENT_IO',
      `${of} failed: the bucket "${context.bucket}" does not exist. Create it, or fix "bucket" (and "region"/"endpoint") in the s3 storage options.`,
    );
  }
  if (code === 'NoSuchUpload') {
    // Before the 404 branch: the object may be fine, it is the upload that is gone.
    return fail(
      'CONFLICT',
      `${of} failed: the multipart upload was aborted (by a lifecycle rule or another client) before it completed (${answer(failure)}). Put the object again.`,
      { retryable: true },
    );
  }
  if (code === 'NoSuchKey' || code === 'NotFound' || status === 404) {
    return fail('NOT_FOUND', `${of}: no such object.`);
  }
  if (code === 'PreconditionFailed' || status === 412) {
    return fail(
      'PRECONDITION_FAILED',
      `${of} did not hold its condition: the object already exists (create-only) or changed since it was read (If-Match).`,
    );
  }
  if (code === 'ConditionalRequestConflict' || (status === 409 && code !== 'BucketAlreadyExists')) {
    return fail(
      'CONFLICT',
      `${of} collided with another write of the same key (${answer(failure)}). Try again: the store resolves it on a new attempt.`,
      { retryable: true, retryAfterMs: failure.retryAfterMs },
    );
  }
  if (code === 'NotImplemented' || status === 501) {
    // Before the transient check, which would take a 5xx for an overloaded store.
    return fail(
      'UNSUPPORTED',
      `${of} failed: the store does not implement a feature this request used (${answer(failure)}). If it lacks conditional writes (If-None-Match/If-Match), set "conditionalWrites: false" in the s3 storage options; if it rejects the SDK's checksum headers (answered the same way), set "requestChecksumCalculation: 'WHEN_REQUIRED'".`,
    );
  }
  if (status === undefined) {
    const local = localFailure(failure, of, fail);
    if (local !== undefined) return local;
  }
  // Before the 403 branches: RequestTimeTooSkewed is a 403 that passes on the next attempt.
  const transient =
    (code !== undefined && transientS3Codes.has(code)) ||
    (status !== undefined && (status >= 500 || status === 429 || status === 408)) ||
    (failure.networkCode !== undefined && failure.networkCode !== unknownHostCode);
  if (transient) {
    const clock =
      code === 'RequestTimeTooSkewed'
        ? ' The clock of this machine is off by more than 15 minutes: the SDK corrects for it, but set the clock right (NTP).'
        : '';
    return fail('TRANSIENT_IO', `${of} failed: ${answer(failure)}.${clock} ${retriedHint}`, {
      retryAfterMs: failure.retryAfterMs,
    });
  }
  if (code === 'ExpiredToken' || code === 'TokenRefreshRequired') {
    return fail(
      'PERMANENT_IO',
      `${of} was refused: ${answer(failure)}. The temporary credentials have expired: a session token given as a fixed value (the "credentials" option, or AWS_SESSION_TOKEN) is never refreshed. Leave "credentials" out of the s3 storage options and use a profile, SSO or an instance or container role through the SDK's provider chain, which refreshes them.`,
    );
  }
  if (code === 'InvalidObjectState') {
    return fail(
      'PERMANENT_IO',
      `${of} failed: the object is archived (${answer(failure)}), e.g. in S3 Glacier, and cannot be read as it is. Restore the object first (RestoreObject), then read it again once the restore has finished.`,
    );
  }
  if (status === 403 && context.operation === 'HeadObject') {
    return fail(
      'PERMANENT_IO',
      `${of} was refused with 403 Forbidden. S3 answers 403 instead of 404 to a HEAD of a key that does not exist when the credentials lack s3:ListBucket on the bucket, so this may be a missing object: grant s3:ListBucket on arn:aws:s3:::${context.bucket} (and s3:GetObject on its objects) to tell the two apart.`,
    );
  }
  if (code === 'AccessDenied' || code === 'AllAccessDisabled' || status === 403) {
    const hint =
      code === 'InvalidAccessKeyId' || code === 'SignatureDoesNotMatch'
        ? 'The credentials are wrong: check the access key id and secret (or the profile the SDK picked up).'
        : `Grant the credentials ${permissionFor(context)}, or use credentials that have it.`;
    return fail('PERMANENT_IO', `${of} was refused: ${answer(failure)}. ${hint}`);
  }
  if (code === 'InvalidBucketName') {
    return fail(
      'PERMANENT_IO',
      `${of} failed: "${context.bucket}" is not a valid bucket name. Fix "bucket" in the s3 storage options.`,
    );
  }
  if (code === 'PermanentRedirect' || code === 'AuthorizationHeaderMalformed' || status === 301) {
    return fail(
      'PERMANENT_IO',
      `${of} failed: ${answer(failure)}. The bucket is in another region: set "region" in the s3 storage options to the bucket's region.`,
    );
  }
  return fail('PERMANENT_IO', `${of} failed: ${answer(failure)}.`);
}

/**
 * Errors raised on this side, without an HTTP answer: configuration the SDK refuses, the part
 * limit of lib-storage, a response that fails its checksum, an unknown host.
 */
function localFailure(
  failure: Failure,
  of: string,
  fail: (code: CairnErrorCode, text: string) => CairnError,
): CairnError | undefined {
  const { code, message } = failure;
  if (code === 'CredentialsProviderError' || /credential/i.test(message)) {
    return fail(
      'PERMANENT_IO',
      `${of} could not start: no AWS credentials were found (${message}). Set AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY or AWS_PROFILE, use an instance role, or give "credentials" in the s3 storage options.`,
    );
  }
  if (missingRegion.test(message)) {
    return fail(
      'PERMANENT_IO',
      `${of} could not start: no region is set (${message}). Set "region" in the s3 storage options, or AWS_REGION.`,
    );
  }
  if (tooManyParts.test(message)) {
    return fail(
      'PERMANENT_IO',
      `${of} failed: ${message} The object is larger than partSizeBytes × 10,000, the most parts S3 takes in one upload; raise "partSizeBytes" in the s3 storage options (64 MiB parts allow 625 GiB).`,
    );
  }
  if (checksumMismatch.test(message)) {
    return fail(
      'CORRUPT_DATA',
      `${of} returned bytes that do not match the checksum the store sent (${message}). Read it again: damage on the way passes; if it repeats, the stored copy is damaged and must be restored or written again.`,
    );
  }
  if (failure.networkCode === unknownHostCode) {
    return fail(
      'PERMANENT_IO',
      `${of} failed: the store's host name does not resolve (${message}). Check "endpoint" in the s3 storage options; self-hosted stores usually need "forcePathStyle: true", without which the bucket becomes part of the host name.`,
    );
  }
  return undefined;
}
