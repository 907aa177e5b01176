import { z } from 'zod';
import { CairnError } from '../errors/cairn-error.js';
import type { AttemptListener } from './attempt.js';
import { defaultClassify, type RetryClassifier } from './classify.js';
import { type Clock, systemClock } from './clock.js';

/**
 * How each wait is randomised (see {@link RetryPolicyOptions.jitter}).
 *
 * - `full`: a uniform draw in [0, capped exponential); spreads clients out the most.
 * - `none`: the capped exponential itself; predictable, but clients retry in lockstep.
 * - `decorrelated`: a uniform draw between `initialDelayMs` and three times the previous wait,
 *   capped; grows like the exponential but stays spread out.
 */
export type JitterMode = 'full' | 'none' | 'decorrelated';

/** What a retry policy is made from; every field is optional. */
export interface RetryPolicyOptions {
  /** Attempts in total, the first included (integer >= 1; default 5). 1 means no retry. */
  readonly maxAttempts?: number;
  /** The base wait after the first failure, in milliseconds (>= 0; default 200). */
  readonly initialDelayMs?: number;
  /** How much the base wait grows per failure (>= 1; default 2). */
  readonly multiplier?: number;
  /**
   * The longest backoff wait, in milliseconds (>= `initialDelayMs`; default 30,000). A
   * server's `Retry-After` is honoured even above it: the server knows when it will answer.
   */
  readonly maxDelayMs?: number;
  /**
   * The overall budget in milliseconds, measured on `clock` from the start of the first
   * attempt (> 0; default none). A wait that would reach it is not taken: the run fails with
   * `DEADLINE_EXCEEDED` at once, carrying the last error as `cause`. An attempt in flight is
   * not cut short: give the operation its own timeout for that.
   */
  readonly deadlineMs?: number;
  /** How waits are randomised (default `'full'`). */
  readonly jitter?: JitterMode;
  /** The random source for jitter, returning numbers in [0, 1) (default `Math.random`). */
  readonly random?: () => number;
  /** The time source for waits and the deadline (default {@link systemClock}). */
  readonly clock?: Clock;
  /**
   * Cancels the run: checked before every attempt, interrupts waits, and is handed to each
   * attempt. The run then fails with `ABORTED` whose `cause` is the signal's reason.
   */
  readonly signal?: AbortSignal;
  /** Decides retry, give-up or retry-after per failure (default {@link defaultClassify}). */
  readonly classify?: RetryClassifier;
  /** Receives every attempt (see {@link AttemptListener}). */
  readonly onAttempt?: AttemptListener;
}

/**
 * A validated policy with every default filled in; build it once with
 * {@link createRetryPolicy} and reuse it. To vary one field per call, spread it:
 * `retry(operation, { ...policy, signal })` (the copy is validated again).
 */
export interface RetryPolicy {
  /** See {@link RetryPolicyOptions.maxAttempts}. */
  readonly maxAttempts: number;
  /** See {@link RetryPolicyOptions.initialDelayMs}. */
  readonly initialDelayMs: number;
  /** See {@link RetryPolicyOptions.multiplier}. */
  readonly multiplier: number;
  /** See {@link RetryPolicyOptions.maxDelayMs}. */
  readonly maxDelayMs: number;
  /** See {@link RetryPolicyOptions.deadlineMs}. */
  readonly deadlineMs: number | undefined;
  /** See {@link RetryPolicyOptions.jitter}. */
  readonly jitter: JitterMode;
  /** See {@link RetryPolicyOptions.random}. */
  readonly random: () => number;
  /** See {@link RetryPolicyOptions.clock}. */
  readonly clock: Clock;
  /** See {@link RetryPolicyOptions.signal}. */
  readonly signal: AbortSignal | undefined;
  /** See {@link RetryPolicyOptions.classify}. */
  readonly classify: RetryClassifier;
  /** See {@link RetryPolicyOptions.onAttempt}. */
  readonly onAttempt: AttemptListener | undefined;
}

const isFunction = (value: unknown): boolean => typeof value === 'function';

const isClock = (value: unknown): boolean =>
  typeof value === 'object' &&
  value !== null &&
  typeof (value as Record<string, unknown>).now === 'function' &&
  typeof (value as Record<string, unknown>).sleep === 'function';

const isAbortSignal = (value: unknown): boolean =>
  typeof value === 'object' &&
  value !== null &&
  typeof (value as Record<string, unknown>).aborted === 'boolean' &&
  typeof (value as Record<string, unknown>).addEventListener === 'function';

/**
 * The zod schema of {@link RetryPolicyOptions}, with defaults. Unknown fields are rejected so a
 * misspelt option is reported instead of silently ignored. A config loader can `.pick()` the
 * plain-data fields for `cairn.config.yaml`.
 */
export const retryPolicyOptionsSchema = z
  .strictObject({
    maxAttempts: z.number().int().min(1).default(5),
    initialDelayMs: z.number().min(0).max(Number.MAX_SAFE_INTEGER).default(200),
    multiplier: z.number().min(1).max(Number.MAX_SAFE_INTEGER).default(2),
    maxDelayMs: z.number().min(0).max(Number.MAX_SAFE_INTEGER).default(30_000),
    deadlineMs: z.number().positive().max(Number.MAX_SAFE_INTEGER).optional(),
    jitter: z.enum(['full', 'none', 'decorrelated']).default('full'),
    random: z
      .custom<() => number>(isFunction, { message: 'expected a function returning [0, 1)' })
      .default(() => Math.random),
    clock: z
      .custom<Clock>(isClock, { message: 'expected a Clock with now() and sleep()' })
      .default(() => systemClock),
    signal: z.custom<AbortSignal>(isAbortSignal, { message: 'expected an AbortSignal' }).optional(),
    classify: z
      .custom<RetryClassifier>(isFunction, { message: 'expected a classifier function' })
      .default(() => defaultClassify),
    onAttempt: z.custom<AttemptListener>(isFunction, { message: 'expected a function' }).optional(),
  })
  .refine((options) => options.maxDelayMs >= options.initialDelayMs, {
    path: ['maxDelayMs'],
    message: 'must be at least initialDelayMs',
  });

// Policies built here, so retry() does not validate the same object on every call.
const validatedPolicies = new WeakSet<RetryPolicy>();

/**
 * Validates `options` once and returns a reusable, frozen {@link RetryPolicy}.
 *
 * @throws CairnError `INVALID_OPTIONS` naming the first invalid field (`details.field`), with
 *   every problem in `details.issues`.
 *
 * @example
 * const policy = createRetryPolicy({ maxAttempts: 4, deadlineMs: 60_000 });
 * const body = await retry(({ signal }) => fetchReport(signal), policy);
 */
export function createRetryPolicy(options: RetryPolicyOptions = {}): RetryPolicy {
  const parsed = retryPolicyOptionsSchema.safeParse(options);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((issue) => ({
      field: issue.code === 'unrecognized_keys' ? issue.keys.join(', ') : issue.path.join('.'),
      message: issue.message,
    }));
    const first = issues[0] ?? { field: '(options)', message: 'invalid' };
    throw new CairnError({
      code: 'INVALID_OPTIONS',
      backend: 'retry',
      message: `Retry option "${first.field}" is invalid: ${first.message}. Fix it where the retry policy is built (code or the retry block of cairn.config.yaml).`,
      details: { field: first.field, issues },
    });
  }
  const data = parsed.data;
  const policy: RetryPolicy = Object.freeze({
    maxAttempts: data.maxAttempts,
    initialDelayMs: data.initialDelayMs,
    multiplier: data.multiplier,
    maxDelayMs: data.maxDelayMs,
    deadlineMs: data.deadlineMs,
    jitter: data.jitter,
    random: data.random,
    clock: data.clock,
    signal: data.signal,
    classify: data.classify,
    onAttempt: data.onAttempt,
  });
  validatedPolicies.add(policy);
  return policy;
}

/** A policy as given to `retry()`: reused when built by {@link createRetryPolicy}, else built. */
export function resolveRetryPolicy(policy: RetryPolicy | RetryPolicyOptions = {}): RetryPolicy {
  return validatedPolicies.has(policy as RetryPolicy)
    ? (policy as RetryPolicy)
    : createRetryPolicy(policy);
}
