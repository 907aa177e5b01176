import { describe, expect, it } from 'vitest';
import { rejectionAfterRunning, scripted, settle, transient } from '../testing/retry-script.js';
import type { AttemptEvent } from './attempt.js';
import type { AttemptInfo } from './classify.js';
import { createManualClock } from './manual-clock.js';
import { retry } from './retry.js';

describe('retry: attempt events and classifier input', () => {
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
    await rejectionAfterRunning(
      retry(operation, { clock, onAttempt: (event) => events.push(event) }),
      clock,
    );
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
    const error = await rejectionAfterRunning(
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
});
