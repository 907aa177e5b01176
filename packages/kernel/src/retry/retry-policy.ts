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
   * server's `Retry-After` is honoured even above it, up to `maxRetryAfterMs`: the server
   * knows when it will answer.
   */
  readonly maxDelayMs?: number;
  /**
   * The longest wait a server may ask for (`Retry-After`, or a classifier's `retry-after`
   * decision), in milliseconds (>= 0; default 300,000: five minutes). A longer one is not
   * slept through: `retry()` fails at once with `RETRIES_EXHAUSTED` (the server's error as
   * `cause`, the wait it asked for in `details.retryAfterMs`), and `retryWithFallback()` moves
   * on to the next candidate. Raise it for batch jobs that may sit out a long rate limit.
   */
  readonly maxRetryAfterMs?: number;
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
  /** See {@link RetryPolicyOptions.maxRetryAfterMs}. */
  readonly maxRetryAfterMs: number;
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

/** What a policy uses for the plain-data fields left out. */
const defaults = {
  maxAttempts: 5,
  initialDelayMs: 200,
  multiplier: 2,
  maxDelayMs: 30_000,
  maxRetryAfterMs: 300_000,
  jitter: 'full',
} as const;

const milliseconds = () => z.number().min(0).max(Number.MAX_SAFE_INTEGER);

// The rules of the plain-data fields, written once: the settings schema (the config's retry
// block) is this object, and the policy schema extends it with the function-valued fields.
const settingsObject = z
  .strictObject({
    maxAttempts: z.number().int().min(1),
    initialDelayMs: milliseconds(),
    multiplier: z.number().min(1).max(Number.MAX_SAFE_INTEGER),
    maxDelayMs: milliseconds(),
    maxRetryAfterMs: milliseconds(),
    deadlineMs: z.number().positive().max(Number.MAX_SAFE_INTEGER),
    jitter: z.enum(['full', 'none', 'decorrelated']),
  })
  .partial();

/**
 * maxDelayMs must be at least initialDelayMs, a field left out counting as its default, so
 * settings that validate always build a policy. The issue is put on the field that was given.
 */
function checkDelayOrder(
  options: {
    readonly initialDelayMs?: number | undefined;
    readonly maxDelayMs?: number | undefined;
  },
  context: z.RefinementCtx,
): void {
  const initialDelayMs = options.initialDelayMs ?? defaults.initialDelayMs;
  const maxDelayMs = options.maxDelayMs ?? defaults.maxDelayMs;
  if (maxDelayMs >= initialDelayMs) return;
  if (options.maxDelayMs !== undefined) {
    const given = options.initialDelayMs === undefined ? ', its default' : '';
    context.addIssue({
      code: 'custom',
      path: ['maxDelayMs'],
      message: `must be at least initialDelayMs (${initialDelayMs}${given})`,
    });
  } else {
    context.addIssue({
      code: 'custom',
      path: ['initialDelayMs'],
      message: `must be at most maxDelayMs (${maxDelayMs}, its default); set maxDelayMs too`,
    });
  }
}

/**
 * The plain-data fields of {@link RetryPolicyOptions}, each optional and without defaults,
 * under the same rules as {@link createRetryPolicy} (maxDelayMs >= initialDelayMs included).
 * The `retry:` block of `cairn.config.yaml` is validated with it, so a config that loads
 * always builds a policy. Unknown fields are rejected.
 */
export const retrySettingsSchema = settingsObject.superRefine(checkDelayOrder);

/** Retry settings as plain data, e.g. the `retry:` block of `cairn.config.yaml`. */
export type RetrySettings = z.output<typeof retrySettingsSchema>;

/**
 * The zod schema of {@link RetryPolicyOptions}: {@link retrySettingsSchema}'s fields plus the
 * random source, clock, signal, classifier and listener; its output is a {@link RetryPolicy}
 * with every default filled in. Unknown fields are rejected so a misspelt option is reported
 * instead of silently ignored.
 */
export const retryPolicyOptionsSchema = settingsObject
  .extend({
    random: z
      .custom<() => number>(isFunction, { message: 'expected a function returning [0, 1)' })
      .optional(),
    clock: z
      .custom<Clock>(isClock, { message: 'expected a Clock with now() and sleep()' })
      .optional(),
    signal: z.custom<AbortSignal>(isAbortSignal, { message: 'expected an AbortSignal' }).optional(),
    classify: z
      .custom<RetryClassifier>(isFunction, { message: 'expected a classifier function' })
      .optional(),
    onAttempt: z.custom<AttemptListener>(isFunction, { message: 'expected a function' }).optional(),
  })
  // Checked before the defaults are filled in, so the issue lands on the field that was given.
  .superRefine(checkDelayOrder)
  .transform(
    (options): RetryPolicy => ({
      maxAttempts: options.maxAttempts ?? defaults.maxAttempts,
      initialDelayMs: options.initialDelayMs ?? defaults.initialDelayMs,
      multiplier: options.multiplier ?? defaults.multiplier,
      maxDelayMs: options.maxDelayMs ?? defaults.maxDelayMs,
      maxRetryAfterMs: options.maxRetryAfterMs ?? defaults.maxRetryAfterMs,
      deadlineMs: options.deadlineMs,
      jitter: options.jitter ?? defaults.jitter,
      random: options.random ?? Math.random,
      clock: options.clock ?? systemClock,
      signal: options.signal,
      classify: options.classify ?? defaultClassify,
      onAttempt: options.onAttempt,
    }),
  );

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
  const policy = Object.freeze(parsed.data);
  validatedPolicies.add(policy);
  return policy;
}

/** A policy as given to `retry()`: reused when built by {@link createRetryPolicy}, else built. */
export function resolveRetryPolicy(policy: RetryPolicy | RetryPolicyOptions = {}): RetryPolicy {
  return validatedPolicies.has(policy as RetryPolicy)
    ? (policy as RetryPolicy)
    : createRetryPolicy(policy);
}
