import { CairnError, type CairnErrorCode, isCairnError, parseRetryAfter } from '@cairn/kernel';
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

type Fields = Record<string, unknown>;

const asFields = (value: unknown): Fields | undefined =>
  typeof value === 'object' && value !== null ? (value as Fields) : undefined;

// Codes S3 documents as "try again": throttling, internal errors, and request timeouts that S3
// itself reports (with status 400, which would otherwise read as a permanent client error).
const transientS3Codes: ReadonlySet<string> = new Set([
  'SlowDown',
  'Throttling',
  'ThrottlingException',
  'RequestThrottled',
  'TooManyRequests',
  'InternalError',
  'ServiceUnavailable',
  'RequestTimeout',
  'RequestTimeTooSkewed',
  'OperationAborted',
]);

// Failures of the connection rather than of the request, from Node's sockets and the SDK's
// Node HTTP handler.
const transientNetworkCodes: ReadonlySet<string> = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'ECONNABORTED',
  'EPIPE',
  'ETIMEDOUT',
  'EAI_AGAIN',
  'ENOTFOUND',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ERR_STREAM_PREMATURE_CLOSE',
]);

const transientNetworkNames: ReadonlySet<string> = new Set(['TimeoutError', 'RequestTimeout']);

/** The parts of an SDK or socket error that decide how it maps. */
interface Failure {
  readonly status: number | undefined;
  readonly code: string | undefined;
  readonly message: string;
  readonly networkCode: string | undefined;
  readonly retryAfterMs: number | undefined;
  readonly aborted: boolean;
}

function networkCodeOf(error: Fields): string | undefined {
  let current: Fields | undefined = error;
  for (let depth = 0; current !== undefined && depth < 5; depth += 1) {
    if (typeof current.code === 'string' && transientNetworkCodes.has(current.code)) {
      return current.code;
    }
    if (typeof current.name === 'string' && transientNetworkNames.has(current.name)) {
      return current.name;
    }
    current = asFields(current.cause);
  }
  return undefined;
}

function retryAfterOf(error: Fields): number | undefined {
  const response = asFields(error.$response);
  const headers = asFields(response?.headers);
  if (headers === undefined) return undefined;
  for (const [name, value] of Object.entries(headers)) {
    if (name.toLowerCase() === 'retry-after' && typeof value === 'string') {
      return parseRetryAfter(value, Date.now());
    }
  }
  return undefined;
}

function describe(error: unknown): Failure {
  const fields = asFields(error) ?? {};
  const metadata = asFields(fields.$metadata);
  const status = typeof metadata?.httpStatusCode === 'number' ? metadata.httpStatusCode : undefined;
  // The SDK names the exception after S3's error code; HEAD answers carry no body, so there
  // the name is a bare status ("NotFound", "Forbidden", or the number itself).
  const code =
    typeof fields.Code === 'string'
      ? fields.Code
      : typeof fields.name === 'string' && fields.name !== 'Error'
        ? fields.name
        : undefined;
  const message = typeof fields.message === 'string' ? fields.message : String(error);
  return {
    status,
    code,
    message,
    networkCode: status === undefined ? networkCodeOf(fields) : undefined,
    retryAfterMs: retryAfterOf(fields),
    aborted: fields.name === 'AbortError',
  };
}

function where(context: S3RequestContext): string {
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

/**
 * What of an SDK error is safe to keep as a cause: its name, message, S3 code, status and
 * request ids. The SDK error itself holds the raw HTTP response, whose request carries the
 * Authorization header and, with temporary credentials, the session token.
 */
function safeCause(error: unknown, failure: Failure): unknown {
  if (!(error instanceof Error)) return error;
  const fields = error as unknown as Fields;
  const metadata = asFields(fields.$metadata);
  const copy = new Error(failure.message);
  copy.name = error.name;
  Object.assign(copy, {
    ...(failure.code === undefined ? {} : { Code: failure.code }),
    ...(failure.networkCode === undefined ? {} : { code: failure.networkCode }),
    ...(metadata === undefined
      ? {}
      : {
          $metadata: {
            httpStatusCode: metadata.httpStatusCode,
            requestId: metadata.requestId,
            extendedRequestId: metadata.extendedRequestId,
          },
        }),
  });
  if (error.stack !== undefined) copy.stack = error.stack;
  return copy;
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

/**
 * Turns an AWS SDK or socket error into the {@link CairnError} the storage contract promises:
 * `NOT_FOUND`, `PRECONDITION_FAILED`, retryable `CONFLICT` (S3's 409
 * ConditionalRequestConflict), `TRANSIENT_IO` (throttling, 5xx, timeouts, resets; retried),
 * `PERMANENT_IO` (access, bucket, region, credentials; with what to fix), `UNSUPPORTED`
 * (a store without conditional writes) or `ABORTED`. A Cairn error passes through unchanged.
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
  const failure = describe(error);
  const target = where(context);
  const of = `${context.operation} of ${target}`;
  const { status, code } = failure;

  if (failure.aborted) {
    return make(
      'ABORTED',
      `${of} was aborted. Nothing to do if the caller cancelled on purpose.`,
      error,
      context,
      failure,
    );
  }
  if (code === 'NoSuchBucket') {
    return make(
      'PERMANENT_IO',
      `${of} failed: the bucket "${context.bucket}" does not exist. Create it, or fix "bucket" (and "region"/"endpoint") in the s3 storage options.`,
      error,
      context,
      failure,
    );
  }
  if (code === 'NoSuchKey' || code === 'NotFound' || status === 404) {
    return make('NOT_FOUND', `${of}: no such object.`, error, context, failure);
  }
  if (code === 'PreconditionFailed' || status === 412) {
    return make(
      'PRECONDITION_FAILED',
      `${of} did not hold its condition: the object already exists (create-only) or changed since it was read (If-Match).`,
      error,
      context,
      failure,
    );
  }
  if (code === 'ConditionalRequestConflict' || (status === 409 && code !== 'BucketAlreadyExists')) {
    return make(
      'CONFLICT',
      `${of} collided with another write of the same key (${answer(failure)}). Try again: the store resolves it on a new attempt.`,
      error,
      context,
      failure,
      { retryable: true, retryAfterMs: failure.retryAfterMs },
    );
  }
  if (status === 403 && context.operation === 'HeadObject') {
    return make(
      'PERMANENT_IO',
      `${of} was refused with 403 Forbidden. S3 answers 403 instead of 404 to a HEAD of a key that does not exist when the credentials lack s3:ListBucket on the bucket, so this may be a missing object: grant s3:ListBucket on arn:aws:s3:::${context.bucket} (and s3:GetObject on its objects) to tell the two apart.`,
      error,
      context,
      failure,
    );
  }
  if (code === 'AccessDenied' || code === 'AllAccessDisabled' || status === 403) {
    const hint =
      code === 'InvalidAccessKeyId' || code === 'SignatureDoesNotMatch'
        ? 'The credentials are wrong: check the access key id and secret (or the profile the SDK picked up).'
        : `Grant the credentials ${permissionFor(context)}, or use credentials that have it.`;
    return make(
      'PERMANENT_IO',
      `${of} was refused: ${answer(failure)}. ${hint}`,
      error,
      context,
      failure,
    );
  }
  if (code === 'InvalidBucketName') {
    return make(
      'PERMANENT_IO',
      `${of} failed: "${context.bucket}" is not a valid bucket name. Fix "bucket" in the s3 storage options.`,
      error,
      context,
      failure,
    );
  }
  if (code === 'PermanentRedirect' || code === 'AuthorizationHeaderMalformed' || status === 301) {
    return make(
      'PERMANENT_IO',
      `${of} failed: ${answer(failure)}. The bucket is in another region: set "region" in the s3 storage options to the bucket's region.`,
      error,
      context,
      failure,
    );
  }
  if (code === 'NotImplemented' || status === 501) {
    return make(
      'UNSUPPORTED',
      `${of} failed: the store does not implement a feature this request used (${answer(failure)}). If it lacks conditional writes (If-None-Match/If-Match), set "conditionalWrites: false" in the s3 storage options.`,
      error,
      context,
      failure,
    );
  }
  if (
    code === 'CredentialsProviderError' ||
    (status === undefined && /credential/i.test(failure.message))
  ) {
    return make(
      'PERMANENT_IO',
      `${of} could not start: no AWS credentials were found (${failure.message}). Set AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY or AWS_PROFILE, use an instance role, or give "credentials" in the s3 storage options.`,
      error,
      context,
      failure,
    );
  }
  const transient =
    (code !== undefined && transientS3Codes.has(code)) ||
    (status !== undefined && (status >= 500 || status === 429 || status === 408)) ||
    failure.networkCode !== undefined;
  if (transient) {
    return make(
      'TRANSIENT_IO',
      `${of} failed: ${answer(failure)}. This usually passes; it is retried.`,
      error,
      context,
      failure,
      { retryAfterMs: failure.retryAfterMs },
    );
  }
  return make('PERMANENT_IO', `${of} failed: ${answer(failure)}.`, error, context, failure);
}

/**
 * The error a storage method throws once the retry loop has ended: retries used up or a
 * deadline passed become `TRANSIENT_IO` (the contract's code for "may pass later") that says
 * how many attempts were made; everything else is mapped by {@link mapS3Error}.
 */
export function finalS3Error(error: unknown, context: S3RequestContext): CairnError {
  if (isCairnError(error, 'RETRIES_EXHAUSTED', 'DEADLINE_EXCEEDED')) {
    const last = isCairnError(error.cause) ? error.cause : mapS3Error(error.cause, context);
    const attempts =
      typeof error.details.attempts === 'number' ? error.details.attempts : undefined;
    const tried = attempts === undefined ? 'every attempt' : `${attempts} attempts`;
    const stopped =
      error.code === 'DEADLINE_EXCEEDED' ? 'the retry deadline passed' : `${tried} failed`;
    return new CairnError({
      code: 'TRANSIENT_IO',
      backend: s3StorageName,
      message: `${context.operation} of ${where(context)} gave up: ${stopped}; the last said: ${last.message.replace(/^\[cairn\] \[s3\] /, '')} If the store is overloaded or unreachable, try again later or raise "retry.maxAttempts".`,
      cause: error,
      details: { ...last.details, ...(attempts === undefined ? {} : { attempts }) },
    });
  }
  return mapS3Error(error, context);
}
