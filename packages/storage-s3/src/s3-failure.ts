// What an SDK or socket error says about a failed S3 request, read without trusting its shape.
import { parseRetryAfter } from '@cairn/kernel';

export type Fields = Record<string, unknown>;

export const asFields = (value: unknown): Fields | undefined =>
  typeof value === 'object' && value !== null ? (value as Fields) : undefined;

// Codes S3 documents as "try again": throttling, internal errors, and request timeouts that S3
// itself reports (with status 400, which would otherwise read as a permanent client error).
export const transientS3Codes: ReadonlySet<string> = new Set([
  'SlowDown',
  'Throttling',
  'ThrottlingException',
  'RequestThrottled',
  'TooManyRequests',
  'InternalError',
  'ServiceUnavailable',
  'RequestTimeout',
  // A 403 that S3 lists as worth retrying: the SDK corrects its clock offset from the answer,
  // and every attempt of the retry loop is signed again with it.
  'RequestTimeTooSkewed',
  'OperationAborted',
  // Bytes damaged on the way (400s): the store refused them, and the same bytes sent again
  // arrive whole. InvalidDigest (a malformed Content-MD5) is not among them: it repeats.
  'BadDigest',
  'XAmzContentSHA256Mismatch',
  'IncompleteBody',
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
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ERR_STREAM_PREMATURE_CLOSE',
]);

// DNS knows no such host: asking again gets the same answer. It is a mistyped endpoint, or a
// bucket put in the host name (virtual-host addressing) of a store that has no such names.
export const unknownHostCode = 'ENOTFOUND';

const transientNetworkNames: ReadonlySet<string> = new Set(['TimeoutError', 'RequestTimeout']);

// Errors the SDK and lib-storage raise before or after a request, without an HTTP status; only
// their message tells them apart.
export const missingRegion = /^Region is missing/;
export const tooManyParts = /^Exceeded \d+ parts in multipart upload/;
// The SDK's flexible-checksums middleware (and its checksum stream, for a streamed body) when
// the bytes received do not match the checksum header the store sent.
export const checksumMismatch = /^Checksum mismatch/;

/** The parts of an SDK or socket error that decide how it maps. */
export interface Failure {
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
    const { code } = current;
    if (typeof code === 'string' && (transientNetworkCodes.has(code) || code === unknownHostCode)) {
      return code;
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

export function describeFailure(error: unknown): Failure {
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

/**
 * What of an SDK error is safe to keep as a cause: its name, message, S3 code, status and
 * request ids. The SDK error itself holds the raw HTTP response, whose request carries the
 * Authorization header and, with temporary credentials, the session token.
 */
export function safeCause(error: unknown, failure: Failure): unknown {
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
