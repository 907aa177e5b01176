import { isCairnError } from '../errors/cairn-error.js';
import { parseRetryAfter } from './retry-after.js';

/**
 * What to do after a failed attempt.
 *
 * - `retry`: wait the policy's backoff delay, then try again.
 * - `give-up`: stop now and rethrow the error as it is (it will not pass by retrying).
 * - `retry-after`: wait exactly `delayMs` (what the remote side asked for), then try again;
 *   a wait above the policy's `maxRetryAfterMs` is not taken and ends the run instead.
 */
export type RetryDecision =
  | { readonly action: 'retry' }
  | { readonly action: 'give-up' }
  | {
      readonly action: 'retry-after';
      /**
       * The wait, in milliseconds; honoured as is, without jitter, even above `maxDelayMs`, but
       * not above `maxRetryAfterMs`.
       */
      readonly delayMs: number;
    };

/** What a classifier knows about the attempt that failed. */
export interface AttemptInfo {
  /** The attempt number, from 1 (per candidate in a fallback chain). */
  readonly attempt: number;
  /** Milliseconds since the first attempt started, on the policy's clock. */
  readonly elapsedMs: number;
  /** The policy clock's current reading, to turn an HTTP-date `Retry-After` into a wait. */
  readonly nowMs: number;
  /** The fallback candidate that failed; `undefined` outside a fallback chain. */
  readonly candidate: string | undefined;
}

/** Decides whether a failed attempt is worth another one. */
export type RetryClassifier = (error: unknown, info: AttemptInfo) => RetryDecision;

const retryableStatuses: ReadonlySet<number> = new Set([408, 425, 429]);
const statusesWithRetryAfter: ReadonlySet<number> = new Set([429, 503]);

// Failures of the connection rather than of the request: the same request may well work on a
// new connection. Only undici's transport errors count; its argument and abort errors are
// mistakes or decisions that retrying would only repeat.
const transientNetworkCodes: ReadonlySet<string> = new Set([
  'ECONNRESET',
  'ETIMEDOUT',
  'ECONNREFUSED',
  'EPIPE',
  'EAI_AGAIN',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
  'UND_ERR_SOCKET',
  'UND_ERR_CLOSED',
]);

// fetch() wraps the socket error a few causes deep (TypeError "fetch failed" → cause); a bound
// keeps a cyclic cause chain from looping.
const maxCauseDepth = 5;

const retry: RetryDecision = Object.freeze({ action: 'retry' });
const giveUp: RetryDecision = Object.freeze({ action: 'give-up' });

type Fields = Record<string, unknown>;

function asFields(value: unknown): Fields | undefined {
  return typeof value === 'object' && value !== null ? (value as Fields) : undefined;
}

function httpStatusOf(error: Fields): number | undefined {
  const metadata = asFields(error.$metadata);
  for (const candidate of [error.status, error.statusCode, metadata?.httpStatusCode]) {
    if (typeof candidate === 'number' && Number.isInteger(candidate)) return candidate;
  }
  return undefined;
}

function headerOf(headers: unknown, name: string): string | undefined {
  const fields = asFields(headers);
  if (fields === undefined) return undefined;
  // A fetch Headers object (case-insensitive get), or a plain object of lower- or title-case names.
  if (typeof fields.get === 'function') {
    const value: unknown = (fields.get as (key: string) => unknown).call(headers, name);
    return typeof value === 'string' ? value : undefined;
  }
  for (const [key, value] of Object.entries(fields)) {
    if (key.toLowerCase() === name && typeof value === 'string') return value;
  }
  return undefined;
}

function retryAfterMsOf(error: Fields, nowMs: number): number | undefined {
  // OpenAI-style APIs send the precise wait in milliseconds beside the whole-second header.
  const preciseMs = headerOf(error.headers, 'retry-after-ms');
  if (preciseMs !== undefined && /^\s*\d+(\.\d+)?\s*$/.test(preciseMs)) return Number(preciseMs);
  const header = headerOf(error.headers, 'retry-after');
  const fromHeader = parseRetryAfter(header, nowMs);
  if (fromHeader !== undefined) return fromHeader;
  const retryAfter = error.retryAfter;
  if (typeof retryAfter === 'string' || typeof retryAfter === 'number') {
    return parseRetryAfter(retryAfter, nowMs);
  }
  return undefined;
}

function hasTransientNetworkCode(error: Fields): boolean {
  let current: Fields | undefined = error;
  for (let depth = 0; current !== undefined && depth < maxCauseDepth; depth += 1) {
    if (typeof current.code === 'string' && transientNetworkCodes.has(current.code)) return true;
    current = asFields(current.cause);
  }
  return false;
}

/**
 * The classifier every policy uses unless given another. In order:
 *
 * 1. A Cairn error decides for itself: `retryable` → retry (retry-after when it carries
 *    `retryAfterMs`), else give up.
 * 2. An HTTP status (`status`, `statusCode`, or the AWS SDK's `$metadata.httpStatusCode`) of
 *    408, 425, 429 or 5xx → retry; for 429 and 503 with a readable `Retry-After` (from
 *    `headers['retry-after-ms']`, `headers['retry-after']` or `retryAfter`) → retry-after.
 *    Any other status (400, 401, 403, 404, …) → give up.
 * 3. A transient network code on the error or its causes (ECONNRESET, ETIMEDOUT,
 *    ECONNREFUSED, EPIPE, EAI_AGAIN, undici's connect/headers/body timeouts, socket and closed
 *    errors) → retry.
 * 4. Everything else → give up: retrying an unknown failure mostly repeats it.
 *
 * Wrap it to add your own rules and delegate the rest.
 *
 * @example
 * const classify: RetryClassifier = (error, info) =>
 *   error instanceof QuotaError ? { action: 'give-up' } : defaultClassify(error, info);
 */
export function defaultClassify(error: unknown, info: AttemptInfo): RetryDecision {
  if (isCairnError(error)) {
    if (!error.retryable) return giveUp;
    return error.retryAfterMs === undefined
      ? retry
      : { action: 'retry-after', delayMs: error.retryAfterMs };
  }
  const fields = asFields(error);
  if (fields === undefined) return giveUp;
  const status = httpStatusOf(fields);
  if (status !== undefined) {
    if (!retryableStatuses.has(status) && !(status >= 500 && status <= 599)) return giveUp;
    if (statusesWithRetryAfter.has(status)) {
      const delayMs = retryAfterMsOf(fields, info.nowMs);
      if (delayMs !== undefined) return { action: 'retry-after', delayMs };
    }
    return retry;
  }
  return hasTransientNetworkCode(fields) ? retry : giveUp;
}
