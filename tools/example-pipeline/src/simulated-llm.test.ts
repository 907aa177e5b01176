import { isCairnError } from '@cairn/kernel';
import { describe, expect, it } from 'vitest';
import type { GenerationRequest } from './research-types.js';
import { createSimulatedLlm, type SimulatedCall } from './simulated-llm.js';

const never = new AbortController().signal;
const first = { attempt: 1, signal: never };

function request(index: number, temperature = 0.7, sample = 0): GenerationRequest {
  return { id: `candidate-${index}`, topic: 'tides', temperature, sample };
}

async function settle<T>(promise: Promise<T>): Promise<{ value?: T; error?: unknown }> {
  try {
    return { value: await promise };
  } catch (error) {
    return { error };
  }
}

describe('createSimulatedLlm', () => {
  it('answers the same with the same seed, whatever order the calls come in', async () => {
    const options = { seed: 5, latencyMs: 0, transientFailureRate: 0 };
    const forwards = createSimulatedLlm(options);
    const backwards = createSimulatedLlm(options);
    const requests = [0, 1, 2, 3, 4].map((index) => request(index, 1.2, index));
    const a = await Promise.all(requests.map((item) => forwards.generate(item, first)));
    const b = (
      await Promise.all([...requests].reverse().map((item) => backwards.generate(item, first)))
    ).reverse();
    expect(a).toEqual(b);
    const scoresA = await Promise.all(a.map((candidate) => forwards.score(candidate, first)));
    const scoresB = await Promise.all(a.map((candidate) => backwards.score(candidate, first)));
    expect(scoresA).toEqual(scoresB);
    for (const { score } of scoresA) {
      expect(score).toBeGreaterThanOrEqual(0);
      expect(score).toBeLessThanOrEqual(1);
    }
    const otherSeed = createSimulatedLlm({ ...options, seed: 6 });
    const c = await Promise.all(requests.map((item) => otherSeed.generate(item, first)));
    expect(c.map((candidate) => candidate.text)).not.toEqual(a.map((candidate) => candidate.text));
  });

  it('repeats itself at a low temperature and varies at a high one', async () => {
    const model = createSimulatedLlm({ seed: 1, latencyMs: 0, transientFailureRate: 0 });
    const texts = async (temperature: number) => {
      const answers = await Promise.all(
        [0, 1, 2, 3, 4, 5].map((sample) =>
          model.generate(request(sample, temperature, sample), first),
        ),
      );
      return new Set(answers.map((answer) => answer.text)).size;
    };
    expect(await texts(0.2)).toBeLessThanOrEqual(2);
    expect(await texts(1.2)).toBeGreaterThan(2);
  });

  it('fails some attempts transiently, never more than transientAttempts in a row', async () => {
    const calls: SimulatedCall[] = [];
    const model = createSimulatedLlm({
      seed: 3,
      latencyMs: 0,
      transientFailureRate: 0.5,
      transientAttempts: 2,
      onCall: (call) => calls.push(call),
    });
    let transientFailures = 0;
    for (let index = 0; index < 40; index++) {
      for (const attempt of [1, 2]) {
        const outcome = await settle(model.generate(request(index), { attempt, signal: never }));
        if (outcome.error === undefined) continue;
        expect(isCairnError(outcome.error, 'TRANSIENT_IO')).toBe(true);
        expect((outcome.error as { retryable: boolean }).retryable).toBe(true);
        transientFailures += 1;
      }
      // The third attempt always answers.
      await model.generate(request(index), { attempt: 3, signal: never });
    }
    expect(transientFailures).toBeGreaterThan(10);
    expect(transientFailures).toBeLessThan(70);
    expect(calls.filter((call) => call.outcome === 'transient-failure')).toHaveLength(
      transientFailures,
    );
    // The same attempt of the same call fails or answers the same way every time.
    const again = await settle(model.generate(request(0), first));
    const before = calls.find((call) => call.id === 'candidate-0' && call.attempt === 1);
    expect(again.error === undefined).toBe(before?.outcome === 'answered');
  });

  it('always refuses a refused id with a permanent error', async () => {
    const calls: SimulatedCall[] = [];
    const model = createSimulatedLlm({
      seed: 3,
      latencyMs: 0,
      transientFailureRate: 0,
      refusedIds: new Set(['candidate-7']),
      onCall: (call) => calls.push(call),
    });
    for (const attempt of [1, 2, 3, 9]) {
      const outcome = await settle(model.generate(request(7), { attempt, signal: never }));
      expect(isCairnError(outcome.error, 'PERMANENT_IO')).toBe(true);
      expect((outcome.error as { retryable: boolean }).retryable).toBe(false);
      expect((outcome.error as Error).message).toContain('candidate-7');
    }
    expect(calls.map((call) => call.outcome)).toEqual(['refused', 'refused', 'refused', 'refused']);
    await expect(model.generate(request(8), first)).resolves.toMatchObject({ id: 'candidate-8' });
  });

  it('stops waiting when its signal aborts and says so', async () => {
    const calls: SimulatedCall[] = [];
    const model = createSimulatedLlm({
      seed: 3,
      latencyMs: 60_000,
      transientFailureRate: 0,
      onCall: (call) => calls.push(call),
    });
    const controller = new AbortController();
    const pending = settle(
      model.score(
        { id: 'x', topic: 't', temperature: 0.2, text: 'an answer' },
        {
          attempt: 1,
          signal: controller.signal,
        },
      ),
    );
    controller.abort(new Error('stop'));
    expect((await pending).error).toEqual(new Error('stop'));
    expect(calls).toEqual([{ operation: 'score', id: 'x', attempt: 1, outcome: 'aborted' }]);
  });
});
