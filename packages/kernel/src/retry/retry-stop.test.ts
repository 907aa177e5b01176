import { describe, expect, it } from 'vitest';
import { type CairnError, isCairnError } from '../errors/cairn-error.js';
import { rejectionAfterRunning, scripted, settle, transient } from '../testing/retry-script.js';
import type { AttemptContext } from './attempt.js';
import { createManualClock } from './manual-clock.js';
import { retry } from './retry.js';

describe('retry stops', () => {
  describe('deadline', () => {
    it('stops before a wait that would reach it, with the last error as cause', async () => {
      const clock = createManualClock();
      const failures = [transient('1'), transient('2'), transient('3')];
      const { operation, starts } = scripted(clock, failures, 'never');
      const error = await rejectionAfterRunning(
        retry(operation, {
          clock,
          jitter: 'none',
          initialDelayMs: 300,
          deadlineMs: 1_000,
          maxAttempts: 10,
        }),
        clock,
      );
      // Attempts at 0, 300 and 900; the next wait (1200 ms) would end at 2100.
      expect(starts).toEqual([0, 300, 900]);
      expect(clock.now()).toBe(900);
      expect(isCairnError(error, 'DEADLINE_EXCEEDED')).toBe(true);
      const deadline = error as CairnError;
      expect(deadline.cause).toBe(failures[2]);
      expect(deadline.details).toEqual({
        attempts: 3,
        elapsedMs: 900,
        deadlineMs: 1_000,
        delayMs: 1_200,
      });
      expect(deadline.message).toContain('connection reset (3)');
    });

    it('counts the time attempts take, from the start of the first one', async () => {
      const clock = createManualClock(5_000);
      let attempts = 0;
      const slowFailure = async () => {
        attempts += 1;
        await clock.sleep(400);
        throw transient(String(attempts));
      };
      const error = await rejectionAfterRunning(
        retry(slowFailure, { clock, jitter: 'none', initialDelayMs: 100, deadlineMs: 1_000 }),
        clock,
      );
      // 0–400 attempt, wait 100, 500–900 attempt; a 200 ms wait from 900 would reach 1000.
      expect(attempts).toBe(2);
      expect(isCairnError(error, 'DEADLINE_EXCEEDED') && error.details.elapsedMs).toBe(900);
    });

    it('fails at once instead of sleeping through a Retry-After that crosses it', async () => {
      const clock = createManualClock();
      const throttled = Object.assign(new Error('rate limited'), { status: 429, retryAfter: 60 });
      const { operation } = scripted(clock, [throttled], 'never');
      const settled = settle(retry(operation, { clock, deadlineMs: 30_000 }));
      const result = await settled;
      expect(clock.now()).toBe(0);
      expect(result.status).toBe('rejected');
      const error = result.status === 'rejected' ? result.error : undefined;
      expect(isCairnError(error, 'DEADLINE_EXCEEDED')).toBe(true);
      expect((error as CairnError).cause).toBe(throttled);
      expect((error as CairnError).details.delayMs).toBe(60_000);
    });

    it('does not take a wait that would end exactly at it', async () => {
      const clock = createManualClock();
      const { operation, starts } = scripted(clock, [transient('1')], 'ok');
      const settled = settle(
        retry(operation, { clock, jitter: 'none', initialDelayMs: 1_000, deadlineMs: 1_000 }),
      );
      const result = await settled;
      expect(result.status === 'rejected' && isCairnError(result.error, 'DEADLINE_EXCEEDED')).toBe(
        true,
      );
      expect(starts).toEqual([0]);
    });

    it('still allows a wait that ends before it', async () => {
      const clock = createManualClock();
      const { operation, starts } = scripted(clock, [transient('1')], 'ok');
      const result = settle(
        retry(operation, { clock, jitter: 'none', initialDelayMs: 999, deadlineMs: 1_000 }),
      );
      await clock.runAll();
      expect((await result).status).toBe('fulfilled');
      expect(starts).toEqual([0, 999]);
    });
  });

  describe('abort', () => {
    it('before the first attempt: no attempt, ABORTED with the reason', async () => {
      const clock = createManualClock();
      const reason = new Error('shutting down');
      const { operation, starts } = scripted(clock, [], 'never');
      const error = await rejectionAfterRunning(
        retry(operation, { clock, signal: AbortSignal.abort(reason) }),
        clock,
      );
      expect(isCairnError(error, 'ABORTED')).toBe(true);
      expect((error as CairnError).cause).toBe(reason);
      expect((error as CairnError).details).toEqual({ attempts: 0, elapsedMs: 0 });
      expect(starts).toEqual([]);
    });

    it('during a wait: the wait ends, no further attempt', async () => {
      const clock = createManualClock();
      const controller = new AbortController();
      const { operation, starts } = scripted(clock, [transient('1')], 'never');
      const settled = settle(
        retry(operation, {
          clock,
          jitter: 'none',
          initialDelayMs: 1_000,
          signal: controller.signal,
        }),
      );
      await clock.advance(400);
      expect(clock.pendingSleeps).toBe(1);
      const reason = new Error('Ctrl+C');
      controller.abort(reason);
      const result = await settled;
      expect(result.status === 'rejected' && isCairnError(result.error, 'ABORTED')).toBe(true);
      const error = (result as { error: CairnError }).error;
      expect(error.cause).toBe(reason);
      expect(error.message).toContain('while waiting 1000 ms before attempt 2');
      expect(error.details).toEqual({ attempts: 1, elapsedMs: 400 });
      expect(clock.pendingSleeps).toBe(0);
      expect(starts).toEqual([0]);
    });

    it('during an attempt: the attempt gets the signal, the failure is not retried', async () => {
      const clock = createManualClock();
      const controller = new AbortController();
      const seen: AbortSignal[] = [];
      let classified = 0;
      const operation = ({ signal }: AttemptContext) => {
        seen.push(signal);
        return new Promise<never>((_resolve, reject) => {
          signal.addEventListener('abort', () => reject(transient('cut off')), { once: true });
        });
      };
      const settled = settle(
        retry(operation, {
          clock,
          signal: controller.signal,
          classify: () => {
            classified += 1;
            return { action: 'retry' };
          },
        }),
      );
      await clock.advance(0);
      const reason = new Error('stop now');
      controller.abort(reason);
      const result = await settled;
      expect(seen).toEqual([controller.signal]);
      expect(classified).toBe(0);
      expect(result.status === 'rejected' && isCairnError(result.error, 'ABORTED')).toBe(true);
      const error = (result as { error: CairnError }).error;
      expect(error.cause).toBe(reason);
      expect(error.message).toContain('during attempt 1');
    });

    it('keeps a value an attempt returns despite the abort', async () => {
      const controller = new AbortController();
      const value = await retry(
        async () => {
          controller.abort();
          return 'finished anyway';
        },
        { clock: createManualClock(), signal: controller.signal },
      );
      expect(value).toBe('finished anyway');
    });

    it('hands attempts a live signal when the policy has none', async () => {
      let signal: AbortSignal | undefined;
      await retry(
        async (context) => {
          signal = context.signal;
        },
        { clock: createManualClock() },
      );
      expect(signal?.aborted).toBe(false);
    });
  });
});
