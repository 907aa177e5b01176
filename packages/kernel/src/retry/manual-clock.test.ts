import { describe, expect, it } from 'vitest';
import { isCairnError } from '../errors/cairn-error.js';
import { createManualClock } from './manual-clock.js';

describe('createManualClock', () => {
  it('starts at the given time and only moves when told', async () => {
    const clock = createManualClock(1_000);
    expect(clock.now()).toBe(1_000);
    let woke = false;
    void clock.sleep(50).then(() => {
      woke = true;
    });
    await clock.advance(49);
    expect(woke).toBe(false);
    expect(clock.now()).toBe(1_049);
    expect(clock.pendingSleeps).toBe(1);
    await clock.advance(1);
    expect(woke).toBe(true);
    expect(clock.pendingSleeps).toBe(0);
    expect(clock.now()).toBe(1_050);
  });

  it('wakes sleeps in due-time order, each seeing its own due time', async () => {
    const clock = createManualClock();
    const woken: string[] = [];
    const track = (name: string, ms: number) =>
      clock.sleep(ms).then(() => woken.push(`${name}@${clock.now()}`));
    void track('late', 300);
    void track('early', 100);
    void track('middle', 200);
    await clock.advance(1_000);
    expect(woken).toEqual(['early@100', 'middle@200', 'late@300']);
    expect(clock.now()).toBe(1_000);
  });

  it('also wakes sleeps that woken code schedules within the same advance', async () => {
    const clock = createManualClock();
    const times: number[] = [];
    const loop = async () => {
      for (let step = 0; step < 3; step += 1) {
        await clock.sleep(100);
        times.push(clock.now());
      }
    };
    const done = loop();
    await clock.advance(250);
    expect(times).toEqual([100, 200]);
    expect(clock.pendingSleeps).toBe(1);
    await clock.advance(50);
    await done;
    expect(times).toEqual([100, 200, 300]);
  });

  it('advanceToNextSleep jumps to the earliest sleep, first scheduled first on ties', async () => {
    const clock = createManualClock();
    const woken: string[] = [];
    void clock.sleep(40).then(() => woken.push('b'));
    void clock.sleep(20).then(() => woken.push('a1'));
    void clock.sleep(20).then(() => woken.push('a2'));
    expect(await clock.advanceToNextSleep()).toBe(true);
    expect(woken).toEqual(['a1']);
    expect(clock.now()).toBe(20);
    expect(await clock.advanceToNextSleep()).toBe(true);
    expect(woken).toEqual(['a1', 'a2']);
    expect(clock.now()).toBe(20);
    expect(await clock.advanceToNextSleep()).toBe(true);
    expect(woken).toEqual(['a1', 'a2', 'b']);
    expect(clock.now()).toBe(40);
    expect(await clock.advanceToNextSleep()).toBe(false);
    expect(clock.now()).toBe(40);
  });

  it('keeps a zero-length sleep pending until time is driven', async () => {
    const clock = createManualClock();
    let woke = false;
    void clock.sleep(0).then(() => {
      woke = true;
    });
    await Promise.resolve();
    expect(woke).toBe(false);
    await clock.advance(0);
    expect(woke).toBe(true);
  });

  it('runAll drives a chain of sleeps to the end', async () => {
    const clock = createManualClock();
    const chain = async () => {
      await clock.sleep(10);
      await clock.sleep(20);
      await clock.sleep(30);
      return clock.now();
    };
    const finished = chain();
    await clock.runAll();
    expect(await finished).toBe(60);
    expect(clock.pendingSleeps).toBe(0);
  });

  it('runAll refuses to spin forever', async () => {
    const clock = createManualClock();
    const controller = new AbortController();
    const forever = async () => {
      while (!controller.signal.aborted) await clock.sleep(1, controller.signal);
    };
    const running = forever().catch(() => 'stopped');
    const error = await clock.runAll(5).catch((caught: unknown) => caught);
    expect(isCairnError(error, 'DEADLINE_EXCEEDED')).toBe(true);
    expect(isCairnError(error) && error.details).toMatchObject({ maxSleeps: 5, pendingSleeps: 1 });
    controller.abort();
    expect(await running).toBe('stopped');
  });

  it('rejects a sleep with the abort reason and forgets it', async () => {
    const clock = createManualClock();
    const controller = new AbortController();
    const sleeping = clock.sleep(100, controller.signal);
    expect(clock.pendingSleeps).toBe(1);
    const reason = new Error('user pressed Ctrl+C');
    controller.abort(reason);
    await expect(sleeping).rejects.toBe(reason);
    expect(clock.pendingSleeps).toBe(0);
    await clock.advance(1_000);
  });

  it('rejects at once when the signal is already aborted', async () => {
    const clock = createManualClock();
    const reason = new Error('already cancelled');
    await expect(clock.sleep(10, AbortSignal.abort(reason))).rejects.toBe(reason);
    expect(clock.pendingSleeps).toBe(0);
  });

  it('does not reject a woken sleep when its signal aborts later', async () => {
    const clock = createManualClock();
    const controller = new AbortController();
    const sleeping = clock.sleep(10, controller.signal);
    await clock.advance(10);
    controller.abort();
    await expect(sleeping).resolves.toBeUndefined();
  });

  it('refuses to move time backwards or by a non-number', async () => {
    const clock = createManualClock();
    for (const ms of [-1, Number.NaN, Number.POSITIVE_INFINITY]) {
      const error = await clock.advance(ms).catch((caught: unknown) => caught);
      expect(isCairnError(error, 'INVALID_OPTIONS')).toBe(true);
    }
    expect(clock.now()).toBe(0);
  });

  it('refuses a start time that is not a finite number', () => {
    expect(() => createManualClock(Number.NaN)).toThrow(/finite number/);
  });
});
