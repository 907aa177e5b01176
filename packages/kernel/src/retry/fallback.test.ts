import { describe, expect, it } from 'vitest';
import { type CairnError, isCairnError } from '../errors/cairn-error.js';
import type { AttemptContext, AttemptEvent } from './attempt.js';
import { type FallbackCandidate, retryWithFallback } from './fallback.js';
import { createManualClock, type ManualClock } from './manual-clock.js';

function transient(label: string): Error {
  return Object.assign(new Error(`timed out (${label})`), { code: 'ETIMEDOUT' });
}

function unauthorised(label: string): Error {
  return Object.assign(new Error(`invalid API key (${label})`), { status: 401 });
}

/** A candidate that throws `failures` in turn, then returns `value`; records attempt times. */
function candidate<T>(clock: ManualClock, name: string, failures: readonly unknown[], value: T) {
  const starts: number[] = [];
  const run = async (_context: AttemptContext): Promise<T> => {
    starts.push(clock.now());
    if (starts.length <= failures.length) throw failures[starts.length - 1];
    return value;
  };
  return { candidate: { name, run } satisfies FallbackCandidate<T>, starts };
}

async function failure(promise: Promise<unknown>, clock: ManualClock): Promise<CairnError> {
  const settled = promise.then(
    () => undefined,
    (error: unknown) => error,
  );
  await clock.runAll();
  const error = await settled;
  if (!isCairnError(error)) throw new Error(`expected a Cairn error, got ${String(error)}`);
  return error;
}

describe('retryWithFallback', () => {
  it('moves to the next candidate when one fails permanently, and says who served', async () => {
    const clock = createManualClock();
    const events: AttemptEvent[] = [];
    const large = candidate(clock, 'large', [unauthorised('large')], 'from large');
    const small = candidate(clock, 'small', [], 'from small');
    const result = await retryWithFallback([large.candidate, small.candidate], {
      clock,
      onAttempt: (event) => events.push(event),
    });
    expect(result).toEqual({ value: 'from small', candidate: 'small', attempts: 2 });
    expect(large.starts).toEqual([0]);
    expect(small.starts).toEqual([0]);
    expect(events.map((event) => [event.candidate, event.attempt, event.outcome])).toEqual([
      ['large', 1, 'failure'],
      ['small', 1, 'success'],
    ]);
  });

  it('retries each candidate under the policy before moving on', async () => {
    const clock = createManualClock();
    const events: AttemptEvent[] = [];
    const primary = candidate(clock, 'primary', [transient('1'), transient('2')], 'never');
    const backup = candidate(clock, 'backup', [transient('3')], 'from backup');
    const settled = retryWithFallback([primary.candidate, backup.candidate], {
      clock,
      jitter: 'none',
      initialDelayMs: 100,
      maxAttempts: 2,
      onAttempt: (event) => events.push(event),
    });
    await clock.runAll();
    expect(await settled).toEqual({ value: 'from backup', candidate: 'backup', attempts: 4 });
    expect(primary.starts).toEqual([0, 100]);
    // The backup starts at once and its backoff starts over from the initial delay.
    expect(backup.starts).toEqual([100, 200]);
    expect(events.map((event) => [event.candidate, event.attempt, event.delayMs])).toEqual([
      ['primary', 1, 100],
      ['primary', 2, undefined],
      ['backup', 1, 100],
      ['backup', 2, undefined],
    ]);
  });

  it('hands each candidate its own attempt numbers and the candidate name to the classifier', async () => {
    const clock = createManualClock();
    const seen: Array<[string | undefined, number]> = [];
    const first = candidate(clock, 'first', [transient('1')], 'x');
    const second = candidate(clock, 'second', [transient('2')], 'y');
    const settled = retryWithFallback([first.candidate, second.candidate], {
      clock,
      classify: (_error, info) => {
        seen.push([info.candidate, info.attempt]);
        return { action: 'give-up' };
      },
    });
    const error = await failure(settled, clock);
    expect(error.code).toBe('RETRIES_EXHAUSTED');
    expect(seen).toEqual([
      ['first', 1],
      ['second', 1],
    ]);
  });

  it('lists each candidate’s last error when all fail', async () => {
    const clock = createManualClock();
    const lastPrimary = transient('primary 2');
    const lastBackup = unauthorised('backup');
    const primary = candidate(clock, 'primary', [transient('primary 1'), lastPrimary], 'never');
    const backup = candidate(clock, 'backup', [lastBackup], 'never');
    const error = await failure(
      retryWithFallback([primary.candidate, backup.candidate], {
        clock,
        jitter: 'none',
        initialDelayMs: 50,
        maxAttempts: 2,
      }),
      clock,
    );
    expect(error.code).toBe('RETRIES_EXHAUSTED');
    expect(error.cause).toBe(lastBackup);
    expect(error.details).toEqual({
      attempts: 3,
      elapsedMs: 50,
      candidates: [
        {
          name: 'primary',
          attempts: 2,
          outcome: 'exhausted',
          error: lastPrimary,
          message: 'timed out (primary 2)',
        },
        {
          name: 'backup',
          attempts: 1,
          outcome: 'give-up',
          error: lastBackup,
          message: 'invalid API key (backup)',
        },
      ],
    });
    expect(error.message).toContain('All 2 fallback candidates failed after 3 attempts over 50 ms');
    expect(error.message).toContain('primary: timed out (primary 2)');
    expect(error.message).toContain('backup: invalid API key (backup)');
  });

  it('moves on at once when a server asks for a wait above maxRetryAfterMs', async () => {
    const clock = createManualClock();
    const throttled = Object.assign(new Error('quota used up'), { status: 429, retryAfter: 3_600 });
    const large = candidate(clock, 'large', [throttled], 'never');
    const small = candidate(clock, 'small', [], 'from small');
    const result = await retryWithFallback([large.candidate, small.candidate], { clock });
    expect(result).toEqual({ value: 'from small', candidate: 'small', attempts: 2 });
    expect(small.starts).toEqual([0]);
    expect(clock.pendingSleeps).toBe(0);
  });

  it('says which candidate was told to wait too long when all fail', async () => {
    const clock = createManualClock();
    const throttled = Object.assign(new Error('quota used up'), { status: 429, retryAfter: 3_600 });
    const large = candidate(clock, 'large', [throttled], 'never');
    const small = candidate(clock, 'small', [unauthorised('small')], 'never');
    const error = await failure(
      retryWithFallback([large.candidate, small.candidate], { clock }),
      clock,
    );
    expect(error.code).toBe('RETRIES_EXHAUSTED');
    expect(error.message).toContain(
      'large: quota used up (asked to wait 3600000 ms, more than maxRetryAfterMs); small: invalid API key (small)',
    );
    expect(error.details.candidates).toEqual([
      expect.objectContaining({
        name: 'large',
        outcome: 'retry-after-too-long',
        retryAfterMs: 3_600_000,
      }),
      expect.not.objectContaining({ retryAfterMs: expect.anything() }),
    ]);
    expect(clock.now()).toBe(0);
  });

  it('stops the whole chain on abort', async () => {
    const clock = createManualClock();
    const controller = new AbortController();
    const primary = candidate(clock, 'primary', [transient('1')], 'never');
    const backup = candidate(clock, 'backup', [], 'from backup');
    const settled = retryWithFallback([primary.candidate, backup.candidate], {
      clock,
      jitter: 'none',
      initialDelayMs: 500,
      signal: controller.signal,
    }).catch((error: unknown) => error);
    await clock.advance(100);
    const reason = new Error('user cancelled');
    controller.abort(reason);
    const error = await settled;
    expect(isCairnError(error, 'ABORTED') && error.cause).toBe(reason);
    expect(backup.starts).toEqual([]);
  });

  it('stops the whole chain when a wait would cross the deadline', async () => {
    const clock = createManualClock();
    const lastError = transient('2');
    const primary = candidate(clock, 'primary', [transient('1'), lastError], 'never');
    const backup = candidate(clock, 'backup', [], 'from backup');
    const error = await failure(
      retryWithFallback([primary.candidate, backup.candidate], {
        clock,
        jitter: 'none',
        initialDelayMs: 400,
        deadlineMs: 1_000,
      }),
      clock,
    );
    // Attempts at 0 and 400; the next wait of 800 ms would end past the deadline.
    expect(error.code).toBe('DEADLINE_EXCEEDED');
    expect(error.cause).toBe(lastError);
    expect(backup.starts).toEqual([]);
  });

  it('does not start the next candidate once the deadline has passed', async () => {
    const clock = createManualClock();
    const denied = unauthorised('slow');
    let backupRuns = 0;
    const slow: FallbackCandidate<string> = {
      name: 'slow',
      run: async () => {
        await clock.sleep(1_500);
        throw denied;
      },
    };
    const backup: FallbackCandidate<string> = {
      name: 'backup',
      run: async () => {
        backupRuns += 1;
        return 'late';
      },
    };
    const error = await failure(
      retryWithFallback([slow, backup], { clock, deadlineMs: 1_000 }),
      clock,
    );
    expect(error.code).toBe('DEADLINE_EXCEEDED');
    expect(error.cause).toBe(denied);
    expect(error.details).toMatchObject({ attempts: 1, elapsedMs: 1_500, delayMs: 0 });
    expect(error.message).toContain('it has reached the 1000 ms deadline');
    expect(backupRuns).toBe(0);
  });

  it('calls run as a method of its candidate', async () => {
    const model = {
      name: 'model',
      reply: 'hello',
      async run(this: { reply: string }) {
        return this.reply;
      },
    };
    const result = await retryWithFallback([model], { clock: createManualClock() });
    expect(result).toEqual({ value: 'hello', candidate: 'model', attempts: 1 });
  });

  it('rejects an invalid candidate list, naming the field', async () => {
    const run = async () => 'x';
    const cases: Array<[unknown, string]> = [
      [[], 'candidates'],
      [[{ name: '', run }], 'candidates[0].name'],
      [
        [
          { name: 'a', run },
          { name: 'a', run },
        ],
        'candidates[1].name',
      ],
      [[{ name: 'a', run }, { name: 'b' }], 'candidates[1].run'],
      [[null], 'candidates[0].name'],
    ];
    for (const [candidates, field] of cases) {
      const error = await retryWithFallback(candidates as FallbackCandidate<string>[]).catch(
        (caught: unknown) => caught,
      );
      expect(isCairnError(error, 'INVALID_OPTIONS') && error.details.field, field).toBe(field);
    }
  });

  it('rejects invalid policy options before running any candidate', async () => {
    let runs = 0;
    const error = await retryWithFallback(
      [
        {
          name: 'a',
          run: async () => {
            runs += 1;
          },
        },
      ],
      { jitter: 'sometimes' as 'full' },
    ).catch((caught: unknown) => caught);
    expect(isCairnError(error, 'INVALID_OPTIONS') && error.details.field).toBe('jitter');
    expect(runs).toBe(0);
  });
});
