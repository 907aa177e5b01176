import { CairnError, isCairnError } from '@cairn/kernel';
import { mapS3Error, retriedHint, type S3RequestContext, where } from './map-s3-error.js';
import { s3StorageName } from './s3-storage-options.js';

const countAttempts = (count: number) => (count === 1 ? '1 attempt' : `${count} attempts`);

const numberIn = (details: Readonly<Record<string, unknown>>, name: string) =>
  typeof details[name] === 'number' ? (details[name] as number) : undefined;

/**
 * The error a storage method throws once the retry loop has ended: retries used up or a
 * deadline passed become `TRANSIENT_IO` (the contract's code for "may pass later") that says
 * how many attempts were made and which request made them; a store that asked for a longer
 * wait than the policy allows gives a `TRANSIENT_IO` that is not retryable (waiting is the
 * caller's decision) with `details.retryAfterMs`. Everything else is mapped by
 * {@link mapS3Error}.
 */
export function finalS3Error(error: unknown, context: S3RequestContext): CairnError {
  if (!isCairnError(error, 'RETRIES_EXHAUSTED', 'DEADLINE_EXCEEDED')) {
    return mapS3Error(error, context);
  }
  const last = isCairnError(error.cause) ? error.cause : mapS3Error(error.cause, context);
  // The request that failed, which is not always the caller's: a multipart upload's caller
  // names the completion, while the part uploads are what ran out of attempts.
  const operation =
    typeof last.details.operation === 'string' ? last.details.operation : context.operation;
  const attempts = numberIn(error.details, 'attempts');
  const retryAfterMs = numberIn(error.details, 'retryAfterMs');
  const tried = attempts === undefined ? 'every attempt' : countAttempts(attempts);
  const lastSaid = last.message.replace(/^\[cairn\] \[s3\] /, '').replace(` ${retriedHint}`, '');
  const details = {
    ...last.details,
    operation,
    ...(attempts === undefined ? {} : { attempts }),
  };
  if (error.code === 'RETRIES_EXHAUSTED' && retryAfterMs !== undefined) {
    const maxRetryAfterMs = numberIn(error.details, 'maxRetryAfterMs');
    const limit = maxRetryAfterMs === undefined ? '' : ` (now ${maxRetryAfterMs} ms)`;
    return new CairnError({
      code: 'TRANSIENT_IO',
      backend: s3StorageName,
      // Not retryable: an outer retry layer would wait out what this policy chose not to.
      retryable: false,
      message: `${operation} of ${where(context)} stopped after ${tried}: the store asked to wait ${Math.ceil(retryAfterMs / 1000)} s before trying again, longer than "retry.maxRetryAfterMs"${limit}; the last answer: ${lastSaid} Try again later, or raise "retry.maxRetryAfterMs" if the run may wait that long.`,
      cause: error,
      details: { ...details, retryAfterMs },
    });
  }
  const stopped =
    error.code === 'DEADLINE_EXCEEDED' ? 'the retry deadline passed' : `${tried} failed`;
  const raise = error.code === 'DEADLINE_EXCEEDED' ? 'retry.deadlineMs' : 'retry.maxAttempts';
  return new CairnError({
    code: 'TRANSIENT_IO',
    backend: s3StorageName,
    message: `${operation} of ${where(context)} gave up: ${stopped}; the last said: ${lastSaid} If the store is overloaded or unreachable, try again later or raise "${raise}".`,
    cause: error,
    details,
  });
}
