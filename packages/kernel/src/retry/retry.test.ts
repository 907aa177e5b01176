import { describe, expect, it } from 'vitest';
import { CairnError, isCairnError } from '../errors/cairn-error.js';
import { rejectionAfterRunning, scripted, settle, transient } from '../testing/retry-script.js';
import type { AttemptContext } from './attempt.js';
import { createSequenceRandom } from './deterministic-random.js';
import { createManualClock } from './manual-clock.js';
import { retry } from './retry.js';
import { createRetryPolicy } from './retry-policy.js';

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
        expect(await rejectionAfterRunning(retry(operation, { clock }), clock)).toBe(permanent);
        expect(starts).toEqual([0]);
      });
    }
  });

  it('reports exhaustion with the attempts, the time spent and the last error', async () => {
    const clock = createManualClock();
    const failures = [transient('1'), transient('2'), transient('3')];
    const { operation } = scripted(clock, failures, 'never');
    const error = await rejectionAfterRunning(
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
    const error = await rejectionAfterRunning(retry(operation, { clock, maxAttempts: 1 }), clock);
    expect(isCairnError(error, 'RETRIES_EXHAUSTED') && error.message).toContain('after 1 attempt ');
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
    const error = await rejectionAfterRunning(
      retry(second.operation, { ...policy, signal: AbortSignal.abort(reason) }),
      clock,
    );
    expect(isCairnError(error, 'ABORTED') && error.cause).toBe(reason);
    expect(second.starts).toEqual([]);
  });
});
