import { describe, expect, it } from 'vitest';
import { CairnError, isCairnError } from '../errors/cairn-error.js';
import type { AttemptContext, AttemptEvent } from './attempt.js';
import type { AttemptInfo, RetryDecision } from './classify.js';
import { createSequenceRandom } from './deterministic-random.js';
import { createManualClock, type ManualClock } from './manual-clock.js';
import { retry } from './retry.js';
import { createRetryPolicy } from './retry-policy.js';

type Settled<T> = { status: 'fulfilled'; value: T } | { status: 'rejected'; error: unknown };

/** Attaches handlers at once, so a rejection while the clock is driven is not "unhandled". */
function settle<T>(promise: Promise<T>): Promise<Settled<T>> {
  return promise.then(
    (value) => ({ status: 'fulfilled', value }),
    (error: unknown) => ({ status: 'rejected', error }),
  );
}

async function rejection(promise: Promise<unknown>, clock: ManualClock): Promise<unknown> {
  const settled = settle(promise);
  await clock.runAll();
  const result = await settled;
  if (result.status === 'fulfilled') throw new Error('expected the retry to fail');
  return result.error;
}

function transient(label: string): Error {
  return Object.assign(new Error(`connection reset (${label})`), { code: 'ECONNRESET' });
}

/**
 * An operation that throws the given errors in turn, then returns `value`, recording the
 * clock time and context of every attempt.
 */
function scripted<T>(clock: ManualClock, failures: readonly unknown[], value: T) {
  const starts: number[] = [];
  const contexts: AttemptContext[] = [];
  const operation = async (context: AttemptContext): Promise<T> => {
    starts.push(clock.now());
    contexts.push(context);
    const failure = failures[contexts.length - 1];
    if (contexts.length <= failures.length) throw failure;
    return value;
  };
  return { operation, starts, contexts };
}

describe('retry', () => {
  it('returns at once when the first attempt succeeds', async () => {
    const clock = createManualClock();
    const { operation, starts } = scripted(clock, [], 'done');
    expect(await retry(operation, { clock })).toBe('done');
    expect(starts).toEqual([0]);
    expect(clock.pendingSleeps).toBe(0);
  });

  it('retries transient failures to success, numbering the attempts', async () => {
    const clock = createManualClock();
    const { operation, starts, contexts } = scripted(
      clock,
      [transient('1'), new CairnError({ code: 'TRANSIENT_IO', message: 'EIO' })],
      'done',
    );
    const result = settle(retry(operation, { clock, jitter: 'none', initialDelayMs: 100 }));
    await clock.runAll();
    expect(await result).toEqual({ status: 'fulfilled', value: 'done' });
    expect(starts).toEqual([0, 100, 300]);
    expect(contexts.map((context) => context.attempt)).toEqual([1, 2, 3]);
  });

  it('accepts an operation that throws synchronously', async () => {
    const clock = createManualClock();
    let calls = 0;
    const operation = (() => {
      calls += 1;
      if (calls === 1) throw transient('sync');
      return Promise.resolve('fine');
    }) as (context: AttemptContext) => Promise<string>;
    const result = settle(retry(operation, { clock, jitter: 'none' }));
    await clock.runAll();
    expect(await result).toEqual({ status: 'fulfilled', value: 'fine' });
  });

  describe('waits by jitter mode', () => {
    const shape = { initialDelayMs: 100, multiplier: 2, maxDelayMs: 1_000, maxAttempts: 6 };
    const failures = Array.from({ length: 5 }, (_, index) => transient(String(index)));

    async function attemptStarts(options: object): Promise<number[]> {
      const clock = createManualClock();
      const { operation, starts } = scripted(clock, failures, 'ok');
      const result = settle(retry(operation, { ...shape, ...options, clock }));
      await clock.runAll();
      expect((await result).status).toBe('fulfilled');
      return starts;
    }

    it('none: 100, 200, 400, 800, then capped at 1000', async () => {
      expect(await attemptStarts({ jitter: 'none' })).toEqual([0, 100, 300, 700, 1_500, 2_500]);
    });

    it('full: random times the capped exponential', async () => {
      const random = createSequenceRandom([0.5, 0.25, 0.1, 0.75, 0.5]);
      // waits 50, 50, 40, 600, 500
      expect(await attemptStarts({ jitter: 'full', random })).toEqual([
        0, 50, 100, 140, 740, 1_240,
      ]);
    });

    it('decorrelated: between the initial delay and three times the last wait', async () => {
      const random = createSequenceRandom([0.5, 0, 0.9, 0.75, 0.5]);
      // waits 200, 100, 280, 655, 1000 (1032.5 capped)
      expect(await attemptStarts({ jitter: 'decorrelated', random })).toEqual([
        0, 200, 300, 580, 1_235, 2_235,
      ]);
    });
  });

  describe('gives up on permanent failures after one attempt, rethrowing the original', () => {
    const permanentErrors: Array<[string, unknown]> = [
      ['400', Object.assign(new Error('bad request'), { status: 400 })],
      ['401', Object.assign(new Error('unauthorised'), { status: 401 })],
      ['403', Object.assign(new Error('forbidden'), { statusCode: 403 })],
      ['404', Object.assign(new Error('no such key'), { $metadata: { httpStatusCode: 404 } })],
      ['PERMANENT_IO', new CairnError({ code: 'PERMANENT_IO', backend: 'fs', message: 'EACCES' })],
      ['a plain bug', new TypeError('cannot read properties of undefined')],
    ];
    for (const [label, permanent] of permanentErrors) {
      it(label, async () => {
        const clock = createManualClock();
        const { operation, starts } = scripted(clock, [permanent], 'unreachable');
        expect(await rejection(retry(operation, { clock }), clock)).toBe(permanent);
        expect(starts).toEqual([0]);
      });
    }
  });

  it('reports exhaustion with the attempts, the time spent and the last error', async () => {
    const clock = createManualClock();
    const failures = [transient('1'), transient('2'), transient('3')];
    const { operation } = scripted(clock, failures, 'never');
    const error = await rejection(
      retry(operation, { clock, jitter: 'none', initialDelayMs: 100, maxAttempts: 3 }),
      clock,
    );
    expect(isCairnError(error, 'RETRIES_EXHAUSTED')).toBe(true);
    const exhausted = error as CairnError;
    expect(exhausted.cause).toBe(failures[2]);
    expect(exhausted.details).toEqual({ attempts: 3, elapsedMs: 300 });
    expect(exhausted.message).toContain('after 3 attempts over 300 ms');
    expect(exhausted.message).toContain('connection reset (3)');
    expect(exhausted.retryable).toBe(false);
  });

  it('with maxAttempts 1 makes one attempt and says so', async () => {
    const clock = createManualClock();
    const { operation, starts } = scripted(clock, [transient('only')], 'never');
    const error = await rejection(retry(operation, { clock, maxAttempts: 1 }), clock);
    expect(isCairnError(error, 'RETRIES_EXHAUSTED') && error.message).toContain('after 1 attempt ');
    expect(starts).toEqual([0]);
  });

  describe('Retry-After', () => {
    it('honours delta-seconds exactly, without jitter, even above maxDelayMs', async () => {
      const clock = createManualClock();
      const throttled = Object.assign(new Error('rate limited'), {
        status: 429,
        headers: { 'retry-after': '7' },
      });
      const { operation, starts } = scripted(clock, [throttled], 'ok');
      const result = settle(
        retry(operation, { clock, jitter: 'full', random: () => 0, maxDelayMs: 1_000 }),
      );
      await clock.runAll();
      expect(await result).toEqual({ status: 'fulfilled', value: 'ok' });
      expect(starts).toEqual([0, 7_000]);
    });

    it('honours an HTTP-date measured on the policy clock', async () => {
      const clock = createManualClock(Date.UTC(2026, 10, 22, 12, 0, 0));
      const unavailable = Object.assign(new Error('maintenance'), {
        status: 503,
        headers: { 'retry-after': 'Sun, 22 Nov 2026 12:00:30 GMT' },
      });
      const { operation, starts } = scripted(clock, [unavailable], 'ok');
      const result = settle(retry(operation, { clock }));
      await clock.runAll();
      expect((await result).status).toBe('fulfilled');
      expect(starts.map((start) => start - Date.UTC(2026, 10, 22, 12, 0, 0))).toEqual([0, 30_000]);
    });

    it('honours a Cairn error’s retryAfterMs', async () => {
      const clock = createManualClock();
      const slowDown = new CairnError({
        code: 'TRANSIENT_IO',
        message: 'SlowDown',
        retryAfterMs: 1_234,
      });
      const { operation, starts } = scripted(clock, [slowDown], 'ok');
      const result = settle(retry(operation, { clock }));
      await clock.runAll();
      expect((await result).status).toBe('fulfilled');
      expect(starts).toEqual([0, 1_234]);
    });

    it('does not let a server wait inflate later decorrelated backoff', async () => {
      const clock = createManualClock();
      const throttled = Object.assign(new Error('rate limited'), { status: 429, retryAfter: 5 });
      const { operation, starts } = scripted(clock, [throttled, transient('2')], 'ok');
      const result = settle(
        retry(operation, {
          clock,
          jitter: 'decorrelated',
          initialDelayMs: 100,
          random: () => 0.5,
        }),
      );
      await clock.runAll();
      expect((await result).status).toBe('fulfilled');
      // After the 5 s server wait, backoff goes on from the initial delay: 100 + 0.5 * 200.
      expect(starts).toEqual([0, 5_000, 5_200]);
    });

    it('uses the backoff wait when a classifier asks for an unusable one', async () => {
      const clock = createManualClock();
      const decisions: RetryDecision[] = [
        { action: 'retry-after', delayMs: -5 },
        { action: 'retry-after', delayMs: Number.NaN },
      ];
      const { operation, starts } = scripted(clock, [transient('1'), transient('2')], 'ok');
      const result = settle(
        retry(operation, {
          clock,
          jitter: 'none',
          initialDelayMs: 100,
          classify: (_error, info) => decisions[info.attempt - 1] ?? { action: 'give-up' },
        }),
      );
      await clock.runAll();
      expect((await result).status).toBe('fulfilled');
      expect(starts).toEqual([0, 100, 300]);
    });
  });

  it('reports every attempt to the listener with its decision and wait', async () => {
    const clock = createManualClock();
    const events: AttemptEvent[] = [];
    const first = transient('1');
    const second = Object.assign(new Error('busy'), {
      status: 503,
      headers: { 'retry-after': '2' },
    });
    const { operation } = scripted(clock, [first, second], 'ok');
    const result = settle(
      retry(operation, {
        clock,
        jitter: 'none',
        initialDelayMs: 100,
        onAttempt: (event) => events.push(event),
      }),
    );
    await clock.runAll();
    expect((await result).status).toBe('fulfilled');
    expect(events).toEqual([
      {
        attempt: 1,
        candidate: undefined,
        outcome: 'failure',
        error: first,
        decision: { action: 'retry' },
        delayMs: 100,
        elapsedMs: 0,
      },
      {
        attempt: 2,
        candidate: undefined,
        outcome: 'failure',
        error: second,
        decision: { action: 'retry-after', delayMs: 2_000 },
        delayMs: 2_000,
        elapsedMs: 100,
      },
      {
        attempt: 3,
        candidate: undefined,
        outcome: 'success',
        error: undefined,
        decision: undefined,
        delayMs: undefined,
        elapsedMs: 2_100,
      },
    ]);
  });

  it('reports the final failure without a wait', async () => {
    const clock = createManualClock();
    const events: AttemptEvent[] = [];
    const denied = Object.assign(new Error('denied'), { status: 403 });
    const { operation } = scripted(clock, [denied], 'never');
    await rejection(retry(operation, { clock, onAttempt: (event) => events.push(event) }), clock);
    expect(events).toEqual([
      expect.objectContaining({ attempt: 1, decision: { action: 'give-up' }, delayMs: undefined }),
    ]);
  });

  it('gives the classifier the attempt, elapsed time and clock reading', async () => {
    const clock = createManualClock(10_000);
    const seen: AttemptInfo[] = [];
    const { operation } = scripted(clock, [transient('1'), transient('2')], 'ok');
    const result = settle(
      retry(operation, {
        clock,
        jitter: 'none',
        initialDelayMs: 50,
        classify: (_error, info) => {
          seen.push(info);
          return { action: 'retry' };
        },
      }),
    );
    await clock.runAll();
    expect((await result).status).toBe('fulfilled');
    expect(seen).toEqual([
      { attempt: 1, elapsedMs: 0, nowMs: 10_000, candidate: undefined },
      { attempt: 2, elapsedMs: 50, nowMs: 10_050, candidate: undefined },
    ]);
  });

  it('lets a listener that throws end the run with its error', async () => {
    const clock = createManualClock();
    const listenerBug = new Error('listener bug');
    const { operation, starts } = scripted(clock, [transient('1')], 'ok');
    const error = await rejection(
      retry(operation, {
        clock,
        onAttempt: () => {
          throw listenerBug;
        },
      }),
      clock,
    );
    expect(error).toBe(listenerBug);
    expect(starts).toEqual([0]);
  });

  it('passes on a clock failure that is not an abort', async () => {
    const broken = new Error('timer subsystem down');
    const clock = {
      now: () => 0,
      sleep: () => Promise.reject(broken),
    };
    const error = await retry(
      async () => {
        throw transient('1');
      },
      { clock },
    ).catch((caught: unknown) => caught);
    expect(error).toBe(broken);
  });

  it('reuses a policy built once, and a spread copy can add a signal', async () => {
    const clock = createManualClock();
    const policy = createRetryPolicy({ clock, jitter: 'none', initialDelayMs: 10 });
    const first = scripted(clock, [transient('a')], 'one');
    const firstResult = settle(retry(first.operation, policy));
    await clock.runAll();
    expect(await firstResult).toEqual({ status: 'fulfilled', value: 'one' });

    const reason = new Error('cancelled');
    const second = scripted(clock, [], 'two');
    const error = await rejection(
      retry(second.operation, { ...policy, signal: AbortSignal.abort(reason) }),
      clock,
    );
    expect(isCairnError(error, 'ABORTED') && error.cause).toBe(reason);
    expect(second.starts).toEqual([]);
  });
});
