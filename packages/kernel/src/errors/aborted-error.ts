import { CairnError } from './cairn-error.js';

/** What {@link abortedError} adds to the message and details. */
export interface AbortedErrorOptions {
  /**
   * When it was aborted and how far it had got, continuing "… was aborted", e.g.
   * `while waiting 200 ms before attempt 2, after 1 attempt over 200 ms`.
   */
  readonly when?: string;
  /**
   * What it leaves behind and what to do, one sentence. Defaults to saying there is nothing to
   * do when the caller cancelled on purpose and that the cause names who aborted.
   */
  readonly hint?: string;
  /** Structured facts for programs (a key, attempts made); never secrets. */
  readonly details?: Readonly<Record<string, unknown>>;
}

const defaultHint =
  'Nothing to do if the caller cancelled on purpose; otherwise see the cause for who aborted it.';

/**
 * The `ABORTED` error for work stopped by an AbortSignal: `[cairn] [<backend>] <what> was
 * aborted[ <when>]. <hint>`, with the signal's reason as `cause` so callers can tell their own
 * cancellation from someone else's.
 *
 * @param backend - the part of Cairn that stopped (`fs`, `retry`, …).
 * @param reason - the signal's `reason`.
 * @param what - what was stopped, starting with a capital: `Reading "runs/1/state.json"`.
 *
 * @example
 * if (signal?.aborted) throw abortedError('fs', signal.reason, `Reading "${key}"`, { details: { key } });
 */
export function abortedError(
  backend: string,
  reason: unknown,
  what: string,
  options: AbortedErrorOptions = {},
): CairnError {
  const when = options.when === undefined ? '' : ` ${options.when}`;
  return new CairnError({
    code: 'ABORTED',
    backend,
    message: `${what} was aborted${when}. ${options.hint ?? defaultHint}`,
    cause: reason,
    ...(options.details === undefined ? {} : { details: options.details }),
  });
}
