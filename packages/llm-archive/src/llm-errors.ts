import {
  type AttemptInfo,
  CairnError,
  defaultClassify,
  type RetryClassifier,
  type RetryDecision,
  scrubErrorText,
} from '@cairn/kernel';

/** The classes an LLM attempt's failure is filed under in the archive. */
export type LlmErrorClass =
  | 'RateLimited'
  | 'ServerError'
  | 'Timeout'
  | 'Connection'
  | 'BadRequest'
  | 'Unauthorized'
  | 'Forbidden'
  | 'NotFound'
  | 'ContentPolicy'
  | 'InvalidResponse'
  | 'Aborted'
  | 'Unknown';

/** Fields an error may carry, read without trusting its type. */
type Fields = Record<string, unknown>;

function fieldsOf(value: unknown): Fields | undefined {
  return typeof value === 'object' && value !== null ? (value as Fields) : undefined;
}

/** The HTTP status an error carries (`status`, `statusCode`, or a CairnError's details). */
export function httpStatusOf(error: unknown): number | undefined {
  const fields = fieldsOf(error);
  const details = fieldsOf(fields?.details);
  for (const candidate of [fields?.status, fields?.statusCode, details?.httpStatus]) {
    if (typeof candidate === 'number' && Number.isInteger(candidate)) return candidate;
  }
  return undefined;
}

/**
 * Whether an error is a content-policy refusal: OpenAI's `content_filter` /
 * `content_policy_violation` codes, Azure's `ResponsibleAIPolicyViolation`, or a message that
 * says so. Asking again does not change the answer.
 */
export function isContentPolicyRefusal(error: unknown): boolean {
  const fields = fieldsOf(error);
  const nested = fieldsOf(fields?.error);
  const details = fieldsOf(fields?.details);
  const codes = [fields?.code, nested?.code, details?.providerCode, fields?.type, nested?.type];
  if (
    codes.some(
      (code) =>
        typeof code === 'string' && /content[_-]?(filter|policy)|ResponsibleAIPolicy/i.test(code),
    )
  ) {
    return true;
  }
  const message = typeof fields?.message === 'string' ? fields.message : '';
  return /content (management )?polic|content[_ ]filter|safety system/i.test(message);
}

/** The class an attempt's failure is filed under (see {@link LlmErrorClass}). */
export function classifyLlmError(error: unknown): LlmErrorClass {
  const fields = fieldsOf(error);
  if (typeof fields?.errorClass === 'string') return fields.errorClass as LlmErrorClass;
  const details = fieldsOf(fields?.details);
  if (typeof details?.errorClass === 'string') return details.errorClass as LlmErrorClass;
  if (isContentPolicyRefusal(error)) return 'ContentPolicy';
  const status = httpStatusOf(error);
  if (status === 429) return 'RateLimited';
  if (status === 408) return 'Timeout';
  if (status === 400 || status === 422) return 'BadRequest';
  if (status === 401) return 'Unauthorized';
  if (status === 403) return 'Forbidden';
  if (status === 404) return 'NotFound';
  if (status !== undefined && status >= 500) return 'ServerError';
  const name = typeof fields?.name === 'string' ? fields.name : '';
  if (
    name === 'TimeoutError' ||
    fields?.code === 'ETIMEDOUT' ||
    /timed? ?out/i.test(String(fields?.message))
  ) {
    return 'Timeout';
  }
  if (name === 'AbortError' || fields?.code === 'ABORTED') return 'Aborted';
  let current: Fields | undefined = fields;
  for (let depth = 0; current !== undefined && depth < 5; depth += 1) {
    if (typeof current.code === 'string' && /^(E[A-Z]+|UND_ERR_\w+)$/.test(current.code))
      return 'Connection';
    current = fieldsOf(current.cause);
  }
  if (error instanceof TypeError && /fetch failed|terminated|socket/i.test(error.message))
    return 'Connection';
  return 'Unknown';
}

/**
 * The retry classifier of LLM calls: timeouts, connection failures, 429 (honouring
 * `Retry-After`) and 5xx are retried; 400, 401, 403, 404, content-policy refusals and anything
 * unknown are not. Builds on the kernel's `defaultClassify`.
 */
export const classifyLlmRetry: RetryClassifier = (
  error: unknown,
  info: AttemptInfo,
): RetryDecision => {
  const errorClass = classifyLlmError(error);
  switch (errorClass) {
    case 'ContentPolicy':
    case 'BadRequest':
    case 'Unauthorized':
    case 'Forbidden':
    case 'NotFound':
    case 'Aborted':
      return { action: 'give-up' };
    case 'Timeout':
    case 'Connection':
    case 'InvalidResponse': {
      const decision = defaultClassify(error, info);
      return decision.action === 'retry-after' ? decision : { action: 'retry' };
    }
    default:
      return defaultClassify(error, info);
  }
};

/** Options of {@link llmCallError}. */
export interface LlmCallErrorOptions {
  readonly model: string;
  readonly errorClass: LlmErrorClass;
  readonly message: string;
  readonly httpStatus?: number;
  readonly retryAfterMs?: number;
  readonly providerCode?: string;
  readonly cause?: unknown;
}

/**
 * A failed LLM attempt as a CairnError: `retryable` as {@link classifyLlmRetry} would decide,
 * `details.errorClass`, `details.httpStatus`, `details.retryAfterMs`; the message scrubbed of
 * secrets.
 */
export function llmCallError(options: LlmCallErrorOptions): CairnError {
  const retryable = [
    'RateLimited',
    'ServerError',
    'Timeout',
    'Connection',
    'InvalidResponse',
  ].includes(options.errorClass);
  return new CairnError({
    code: retryable ? 'TRANSIENT_IO' : 'PERMANENT_IO',
    backend: 'llm-archive',
    retryable,
    ...(options.retryAfterMs === undefined ? {} : { retryAfterMs: options.retryAfterMs }),
    message: scrubErrorText(`Model "${options.model}": ${options.message}`),
    ...(options.cause === undefined ? {} : { cause: options.cause }),
    details: {
      model: options.model,
      errorClass: options.errorClass,
      ...(options.httpStatus === undefined ? {} : { httpStatus: options.httpStatus }),
      ...(options.retryAfterMs === undefined ? {} : { retryAfterMs: options.retryAfterMs }),
      ...(options.providerCode === undefined ? {} : { providerCode: options.providerCode }),
    },
  });
}
