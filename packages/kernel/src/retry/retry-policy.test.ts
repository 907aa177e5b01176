import { describe, expect, it } from 'vitest';
import { isCairnError } from '../errors/cairn-error.js';
import { defaultClassify } from './classify.js';
import { systemClock } from './clock.js';
import { createManualClock } from './manual-clock.js';
import { retry } from './retry.js';
import { createRetryPolicy, type RetryPolicyOptions, retrySettingsSchema } from './retry-policy.js';

function invalidField(options: unknown): unknown {
  try {
    createRetryPolicy(options as RetryPolicyOptions);
  } catch (error) {
    if (!isCairnError(error, 'INVALID_OPTIONS')) throw error;
    expect(error.message).toContain(`"${String(error.details.field)}"`);
    return error.details.field;
  }
  throw new Error('expected createRetryPolicy to reject the options');
}

describe('createRetryPolicy', () => {
  it('fills in the documented defaults', () => {
    const policy = createRetryPolicy();
    expect(policy).toMatchObject({
      maxAttempts: 5,
      initialDelayMs: 200,
      multiplier: 2,
      maxDelayMs: 30_000,
      maxRetryAfterMs: 300_000,
      deadlineMs: undefined,
      jitter: 'full',
      signal: undefined,
      onAttempt: undefined,
    });
    expect(policy.random).toBe(Math.random);
    expect(policy.clock).toBe(systemClock);
    expect(policy.classify).toBe(defaultClassify);
  });

  it('keeps what it is given and freezes the result', () => {
    const clock = createManualClock();
    const random = () => 0.5;
    const controller = new AbortController();
    const policy = createRetryPolicy({
      maxAttempts: 2,
      initialDelayMs: 0,
      multiplier: 1,
      maxDelayMs: 0,
      deadlineMs: 10,
      jitter: 'decorrelated',
      random,
      clock,
      signal: controller.signal,
    });
    expect(policy).toMatchObject({ maxAttempts: 2, deadlineMs: 10, jitter: 'decorrelated' });
    expect(policy.clock).toBe(clock);
    expect(policy.random).toBe(random);
    expect(policy.signal).toBe(controller.signal);
    expect(Object.isFrozen(policy)).toBe(true);
  });

  it('rejects each invalid option naming the field', () => {
    const cases: Array<[unknown, string]> = [
      [{ maxAttempts: 0 }, 'maxAttempts'],
      [{ maxAttempts: 2.5 }, 'maxAttempts'],
      [{ maxAttempts: '3' }, 'maxAttempts'],
      [{ initialDelayMs: -1 }, 'initialDelayMs'],
      [{ initialDelayMs: Number.NaN }, 'initialDelayMs'],
      [{ multiplier: 0.5 }, 'multiplier'],
      [{ maxDelayMs: -5 }, 'maxDelayMs'],
      [{ initialDelayMs: 500, maxDelayMs: 100 }, 'maxDelayMs'],
      [{ maxDelayMs: 100 }, 'maxDelayMs'],
      [{ initialDelayMs: 40_000 }, 'initialDelayMs'],
      [{ maxRetryAfterMs: -1 }, 'maxRetryAfterMs'],
      [{ maxRetryAfterMs: Number.POSITIVE_INFINITY }, 'maxRetryAfterMs'],
      [{ deadlineMs: 0 }, 'deadlineMs'],
      [{ deadlineMs: Number.POSITIVE_INFINITY }, 'deadlineMs'],
      [{ jitter: 'partial' }, 'jitter'],
      [{ random: 0.5 }, 'random'],
      [{ clock: { now: () => 0 } }, 'clock'],
      [{ signal: { aborted: false } }, 'signal'],
      [{ classify: 'default' }, 'classify'],
      [{ onAttempt: true }, 'onAttempt'],
      [{ maxAttemps: 3 }, 'maxAttemps'],
    ];
    for (const [options, field] of cases) {
      expect(invalidField(options), JSON.stringify(options)).toBe(field);
    }
  });

  it('lists every problem in details.issues', () => {
    try {
      createRetryPolicy({ maxAttempts: 0, jitter: 'some' as 'full' });
      expect.unreachable('createRetryPolicy accepted invalid options');
    } catch (error) {
      expect(isCairnError(error, 'INVALID_OPTIONS')).toBe(true);
      const issues = (error as { details: { issues: Array<{ field: string }> } }).details.issues;
      expect(issues.map((issue) => issue.field)).toEqual(['maxAttempts', 'jitter']);
    }
  });

  it('makes retry() reject invalid options before any attempt', async () => {
    let attempts = 0;
    const error = await retry(
      async () => {
        attempts += 1;
      },
      { maxAttempts: -1 },
    ).catch((caught: unknown) => caught);
    expect(isCairnError(error, 'INVALID_OPTIONS')).toBe(true);
    expect(attempts).toBe(0);
  });

  it('validates a spread copy of a policy again', async () => {
    const policy = createRetryPolicy({ maxAttempts: 1 });
    const error = await retry(async () => 'x', { ...policy, maxAttempts: 0 }).catch(
      (caught: unknown) => caught,
    );
    expect(isCairnError(error, 'INVALID_OPTIONS') && error.details.field).toBe('maxAttempts');
  });
});

describe('retrySettingsSchema', () => {
  it('keeps what is given and fills in nothing, so later layers can still override', () => {
    expect(retrySettingsSchema.parse({ maxAttempts: 3, maxRetryAfterMs: 60_000 })).toEqual({
      maxAttempts: 3,
      maxRetryAfterMs: 60_000,
    });
    expect(retrySettingsSchema.parse({})).toEqual({});
  });

  it('applies the policy rules, comparing a delay left out with its default', () => {
    const issuesOf = (settings: unknown) =>
      retrySettingsSchema.safeParse(settings).error?.issues.map((issue) => ({
        path: issue.path,
        message: issue.message,
      }));
    expect(issuesOf({ initialDelayMs: 500, maxDelayMs: 100 })).toEqual([
      { path: ['maxDelayMs'], message: 'must be at least initialDelayMs (500)' },
    ]);
    expect(issuesOf({ maxDelayMs: 100 })).toEqual([
      { path: ['maxDelayMs'], message: 'must be at least initialDelayMs (200, its default)' },
    ]);
    expect(issuesOf({ initialDelayMs: 40_000 })).toEqual([
      {
        path: ['initialDelayMs'],
        message: 'must be at most maxDelayMs (30000, its default); set maxDelayMs too',
      },
    ]);
    expect(issuesOf({ initialDelayMs: 40_000, maxDelayMs: 40_000 })).toBeUndefined();
  });

  it('refuses the fields that are not plain data', () => {
    const result = retrySettingsSchema.safeParse({ clock: createManualClock() });
    expect(result.error?.issues).toEqual([
      expect.objectContaining({ code: 'unrecognized_keys', keys: ['clock'] }),
    ]);
  });
});
