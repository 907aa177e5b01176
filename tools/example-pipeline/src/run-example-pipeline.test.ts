import { CairnError, createMemoryStorage } from '@cairn/kernel';
import { describe, expect, it } from 'vitest';
import { type PipelineEvent, runExamplePipeline, type Scorer } from './run-example-pipeline.js';
import type { Candidate } from './simulated-scorer.js';

const quickRetry = { maxAttempts: 3, initialDelayMs: 1, maxDelayMs: 2 };

/** A scorer that counts calls per item and can fail on chosen calls. */
function countingScorer(
  fail: (candidate: Candidate, call: number) => CairnError | undefined = () => undefined,
) {
  const callsPerItem = new Map<string, number>();
  const scorer: Scorer = {
    async score(candidate) {
      const call = (callsPerItem.get(candidate.id) ?? 0) + 1;
      callsPerItem.set(candidate.id, call);
      const failure = fail(candidate, call);
      if (failure) throw failure;
      return Number(candidate.id.slice(-4)) / 100;
    },
  };
  return { scorer, callsPerItem };
}

describe('runExamplePipeline', () => {
  it('runs every step, stores each score and writes the report', async () => {
    const storage = createMemoryStorage();
    const { scorer, callsPerItem } = countingScorer();
    const result = await runExamplePipeline({
      storage,
      scorer,
      itemCount: 12,
      concurrency: 3,
      retryPolicy: quickRetry,
    });
    expect(result.status).toBe('completed');
    if (result.status !== 'completed') return;
    expect(result.report.scored).toBe(12);
    expect(result.report.best.map((entry) => entry.id)).toEqual([
      'candidate-0012',
      'candidate-0011',
      'candidate-0010',
    ]);
    expect([...callsPerItem.values()].every((calls) => calls === 1)).toBe(true);
    expect(await storage.head('example/scores/candidate-0007.json')).toBeDefined();
    expect(await storage.head('example/report.json')).toBeDefined();
  });

  it('retries transient failures and reports each scheduled retry', async () => {
    const storage = createMemoryStorage();
    const { scorer, callsPerItem } = countingScorer((candidate, call) =>
      candidate.id === 'candidate-0002' && call < 3
        ? new CairnError({ code: 'TRANSIENT_IO', message: 'busy' })
        : undefined,
    );
    const events: PipelineEvent[] = [];
    const result = await runExamplePipeline({
      storage,
      scorer,
      itemCount: 4,
      concurrency: 2,
      retryPolicy: quickRetry,
      onEvent: (event) => events.push(event),
    });
    expect(result.status).toBe('completed');
    expect(callsPerItem.get('candidate-0002')).toBe(3);
    expect(
      events
        .filter((event) => event.type === 'retry-scheduled')
        .map((event) => 'id' in event && event.id),
    ).toEqual(['candidate-0002', 'candidate-0002']);
  });

  it('records a failing item and finishes the batch without it', async () => {
    const storage = createMemoryStorage();
    const { scorer } = countingScorer((candidate) =>
      candidate.id === 'candidate-0003'
        ? new CairnError({ code: 'PERMANENT_IO', message: 'bad item' })
        : undefined,
    );
    const result = await runExamplePipeline({
      storage,
      scorer,
      itemCount: 5,
      concurrency: 2,
      retryPolicy: quickRetry,
    });
    expect(result.status === 'completed' && result.report.failed).toEqual(['candidate-0003']);
    const failure = await storage.get('example/failures/candidate-0003.json');
    const record = JSON.parse(Buffer.concat(await failure.body.toArray()).toString('utf8'));
    expect(record).toMatchObject({ id: 'candidate-0003', code: 'PERMANENT_IO' });
    expect(record.message).toContain('bad item');
  });

  it('keeps finished items when stopped, and the next run does only the missing ones', async () => {
    const storage = createMemoryStorage();
    const controller = new AbortController();
    const first = countingScorer();
    let finished = 0;
    const interrupted = await runExamplePipeline({
      storage,
      scorer: first.scorer,
      itemCount: 20,
      concurrency: 1,
      retryPolicy: quickRetry,
      signal: controller.signal,
      onEvent: (event) => {
        if (event.type === 'item-done' && ++finished === 7) controller.abort(new Error('SIGINT'));
      },
    });
    expect(interrupted).toEqual({ status: 'interrupted', scored: 7, total: 20 });
    expect(await storage.head('example/report.json')).toBeUndefined();

    const second = countingScorer();
    const events: PipelineEvent[] = [];
    const resumed = await runExamplePipeline({
      storage,
      scorer: second.scorer,
      itemCount: 20,
      concurrency: 3,
      retryPolicy: quickRetry,
      onEvent: (event) => events.push(event),
    });
    expect(resumed.status === 'completed' && resumed.report.scored).toBe(20);
    // Exactly the 13 missing items were scored, none of the 7 stored ones again.
    expect(second.callsPerItem.size).toBe(13);
    for (const id of first.callsPerItem.keys()) expect(second.callsPerItem.has(id)).toBe(false);
    expect(events).toContainEqual({
      type: 'step-resumed',
      step: 'generate',
      reason: '20 candidates are stored',
    });
  });

  it('tries the failed items again on the next run, and only those', async () => {
    const storage = createMemoryStorage();
    const failing = countingScorer((candidate) =>
      candidate.id === 'candidate-0002'
        ? new CairnError({ code: 'PERMANENT_IO', message: 'bad' })
        : undefined,
    );
    const first = await runExamplePipeline({
      storage,
      scorer: failing.scorer,
      itemCount: 4,
      concurrency: 2,
      retryPolicy: quickRetry,
    });
    expect(first.status === 'completed' && first.report.failed).toEqual(['candidate-0002']);

    const healed = countingScorer();
    const second = await runExamplePipeline({
      storage,
      scorer: healed.scorer,
      itemCount: 4,
      concurrency: 2,
      retryPolicy: quickRetry,
    });
    expect([...healed.callsPerItem.keys()]).toEqual(['candidate-0002']);
    expect(second.status === 'completed' && second.report).toMatchObject({ scored: 4, failed: [] });
  });

  it('skips everything once the report is stored', async () => {
    const storage = createMemoryStorage();
    await runExamplePipeline({
      storage,
      scorer: countingScorer().scorer,
      itemCount: 3,
      concurrency: 1,
      retryPolicy: quickRetry,
    });
    const again = countingScorer();
    const result = await runExamplePipeline({
      storage,
      scorer: again.scorer,
      itemCount: 3,
      concurrency: 1,
      retryPolicy: quickRetry,
    });
    expect(result.status).toBe('completed');
    expect(again.callsPerItem.size).toBe(0);
  });
});
