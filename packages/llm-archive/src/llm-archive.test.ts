import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { archivePaths } from './archive-layout.js';
import type { LlmArchive } from './llm-archive.js';
import { openLlmArchive } from './llm-archive.js';
import { llmCallError } from './llm-errors.js';
import { temporaryDirectory, testRun } from './testing/archive-fixtures.js';

const fastRetry = { initialDelayMs: 1, maxDelayMs: 2, maxAttempts: 4 };
const request = { messages: [{ role: 'user', content: 'What is 2 + 2?' }], temperature: 0 };

async function entries(archive: LlmArchive) {
  const text = await readFile(join(archive.folder, 'index.jsonl'), 'utf8');
  return text
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line));
}

function failing(status: number, headers: Record<string, string> = {}) {
  return Object.assign(new Error(`HTTP ${status}`), { status, headers });
}

describe('recording LLM calls', () => {
  it('records an answered call with tokens, cost, latency and the served model before returning', async () => {
    const directory = await temporaryDirectory();
    const archive = await openLlmArchive({ directory, run: testRun });
    const result = await archive.call({
      model: 'gpt-4o-mini',
      request,
      step: 'generate',
      item: 3,
      provider: 'openai',
      invoke: async ({ model }) => ({
        text: '4',
        servedModel: `${model}-2024-07-18`,
        promptTokens: 1000,
        completionTokens: 500,
        body: { id: 'chatcmpl-1' },
      }),
    });
    expect(result).toMatchObject({
      text: '4',
      model: 'gpt-4o-mini-2024-07-18',
      attempts: 1,
      replayed: false,
      seq: 1,
    });
    const [entry] = await entries(archive);
    expect(entry).toMatchObject({
      seq: 1,
      run: testRun,
      step: 'generate',
      item: 3,
      requestedModel: 'gpt-4o-mini',
      servedModel: 'gpt-4o-mini-2024-07-18',
      provider: 'openai',
      attempt: 1,
      promptTokens: 1000,
      completionTokens: 500,
      // 1000 × 0.15 + 500 × 0.6 per million, priced as gpt-4o-mini.
      cost: { usd: 0.00045 },
      status: 'ok',
      requestHash: result.requestHash,
    });
    const stored = JSON.parse(await readFile(join(archive.folder, entry.response), 'utf8'));
    expect(stored).toMatchObject({ request, answer: { text: '4', body: { id: 'chatcmpl-1' } } });
    await archive.close();
  });

  it('costs a model it has no price for as unknown, never 0, unless prices are given', async () => {
    const archive = await openLlmArchive({
      directory: await temporaryDirectory(),
      run: testRun,
      prices: { 'llama3:8b': { inputPerMillion: 0, outputPerMillion: 0 } },
    });
    const answer = async () => ({ text: 'x', promptTokens: 10, completionTokens: 10 });
    await archive.call({ model: 'mystery-model', request, invoke: answer });
    await archive.call({ model: 'llama3:8b', request, invoke: answer });
    await archive.call({ model: 'gpt-4o', request, invoke: async () => ({ text: 'no usage' }) });
    expect((await entries(archive)).map((entry) => entry.cost)).toEqual([
      'unknown',
      { usd: 0 },
      'unknown',
    ]);
    expect(archive.stats().run).toMatchObject({ calls: 3, unknownCost: 2, costUsd: 0 });
    await archive.close();
  });

  it('retries 429 (after Retry-After), 5xx and timeouts, recording every attempt', async () => {
    const archive = await openLlmArchive({
      directory: await temporaryDirectory(),
      run: testRun,
      retry: fastRetry,
      attemptTimeoutMs: 50,
    });
    const script = [
      () => Promise.reject(failing(429, { 'retry-after-ms': '5' })),
      () => Promise.reject(failing(503)),
      () => new Promise<never>(() => undefined), // never answers: the attempt times out
      () => Promise.resolve({ text: 'finally' }),
    ];
    const started = Date.now();
    const result = await archive.call({
      model: 'gpt-4o',
      request,
      invoke: () => (script.shift() as () => Promise<{ text: string }>)(),
    });
    expect(result).toMatchObject({ text: 'finally', attempts: 4 });
    expect(Date.now() - started).toBeGreaterThanOrEqual(5);
    const recorded = await entries(archive);
    expect(
      recorded.map((entry) => [entry.attempt, entry.status, entry.errorClass, entry.httpStatus]),
    ).toEqual([
      [1, 'error', 'RateLimited', 429],
      [2, 'error', 'ServerError', 503],
      [3, 'error', 'Timeout', undefined],
      [4, 'ok', undefined, undefined],
    ]);
    expect(new Set(recorded.map((entry) => entry.call)).size).toBe(1);
    expect(archive.stats().run).toMatchObject({ calls: 1, successes: 1, failures: 3, retries: 3 });
    await archive.close();
  });

  it('never retries 400, 401, 403, 404 or a content-policy refusal', async () => {
    const archive = await openLlmArchive({
      directory: await temporaryDirectory(),
      run: testRun,
      retry: fastRetry,
    });
    const refusals = [
      failing(400),
      failing(401),
      failing(403),
      failing(404),
      llmCallError({
        model: 'gpt-4o',
        errorClass: 'ContentPolicy',
        message: 'refused by the content filter',
      }),
      Object.assign(
        new Error(
          'The response was filtered due to the prompt triggering content management policy',
        ),
        { status: 400, code: 'content_filter' },
      ),
    ];
    for (const refusal of refusals) {
      let invoked = 0;
      await expect(
        archive.call({
          model: 'gpt-4o',
          request: { refusal: refusal.message },
          invoke: async () => {
            invoked += 1;
            throw refusal;
          },
        }),
      ).rejects.toBeTruthy();
      expect(invoked, refusal.message).toBe(1);
    }
    expect((await entries(archive)).map((entry) => entry.errorClass)).toEqual([
      'BadRequest',
      'Unauthorized',
      'Forbidden',
      'NotFound',
      'ContentPolicy',
      'ContentPolicy',
    ]);
    await archive.close();
  });

  it('falls back to the next model when one gives up, and says which model served', async () => {
    const archive = await openLlmArchive({
      directory: await temporaryDirectory(),
      run: testRun,
      retry: { ...fastRetry, maxAttempts: 2 },
    });
    const asked: string[] = [];
    const result = await archive.call({
      model: 'gemini-2.5-flash',
      fallback: ['gemini-2.5-pro'],
      request,
      invoke: async ({ model }) => {
        asked.push(model);
        if (model === 'gemini-2.5-flash') throw failing(500);
        return { text: 'from pro', promptTokens: 1, completionTokens: 1 };
      },
    });
    expect(asked).toEqual(['gemini-2.5-flash', 'gemini-2.5-flash', 'gemini-2.5-pro']);
    expect(result).toMatchObject({
      model: 'gemini-2.5-pro',
      requestedModel: 'gemini-2.5-flash',
      attempts: 3,
    });
    expect(
      (await entries(archive)).map((entry) => [entry.attempt, entry.servedModel, entry.status]),
    ).toEqual([
      [1, 'gemini-2.5-flash', 'error'],
      [2, 'gemini-2.5-flash', 'error'],
      [3, 'gemini-2.5-pro', 'ok'],
    ]);
    expect(Object.keys(archive.stats().models)).toEqual(['gemini-2.5-flash', 'gemini-2.5-pro']);
    await archive.close();
  });

  it('replays answered requests on a resumed run without asking the model, and only there', async () => {
    const directory = await temporaryDirectory();
    const first = await openLlmArchive({ directory, run: testRun });
    let calls = 0;
    const invoke = async () => {
      calls += 1;
      return { text: `answer ${calls}`, promptTokens: 5, completionTokens: 5 };
    };
    expect(first.replaying).toBe(false);
    await first.call({ model: 'gpt-4o', request, invoke });
    // The same question again in the same, fresh run is asked again: replay is for resumes.
    await first.call({ model: 'gpt-4o', request, invoke });
    await first.close();
    expect(calls).toBe(2);

    const resumed = await openLlmArchive({ directory, run: testRun });
    expect(resumed.replaying).toBe(true);
    const again = await resumed.call({
      model: 'gpt-4o',
      // Same question with keys in another order and a transport-only field: same request.
      request: { temperature: 0, messages: request.messages, stream: false },
      invoke,
    });
    expect(again).toMatchObject({ text: 'answer 2', replayed: true, attempts: 1 });
    expect(calls).toBe(2);
    const changed = await resumed.call({
      model: 'gpt-4o',
      request: { ...request, temperature: 1 },
      invoke,
    });
    expect(changed.replayed).toBe(false);
    expect(calls).toBe(3);
    const last = (await entries(resumed)).at(-2);
    expect(last).toMatchObject({ replayed: true, cost: { usd: 0 }, latencyMs: 0 });
    expect(resumed.stats().run.replayed).toBe(1);
    expect(await resumed.verify()).toMatchObject({ ok: true, verifiedEntries: 4 });
    await resumed.close();
  });

  it('fires the failure-rate alert once when failures pass the threshold, per model and overall', async () => {
    const alerts: unknown[] = [];
    const archive = await openLlmArchive({
      directory: await temporaryDirectory(),
      run: testRun,
      retry: { maxAttempts: 1 },
      alert: { window: 4, threshold: 0.5 },
      onAlert: (alert) => alerts.push(alert),
    });
    const outcomes = [true, false, false, false, false, false];
    for (const [index, ok] of outcomes.entries()) {
      await archive
        .call({
          model: 'gpt-4o',
          request: { index },
          invoke: async () => {
            if (!ok) throw failing(500);
            return { text: 'ok' };
          },
        })
        .catch(() => undefined);
    }
    expect(alerts).toHaveLength(2);
    expect(alerts).toContainEqual(
      expect.objectContaining({ model: undefined, failureRate: 0.75, window: 4 }),
    );
    expect(alerts).toContainEqual(expect.objectContaining({ model: 'gpt-4o', failureRate: 0.75 }));
    await archive.close();
  });

  it('keeps API keys out of every file of the archive', async () => {
    const apiKey = 'sk-proj-Zk3mQ9xWv7LpR2tY8uB4nC6dF1gH5jK0aS';
    const directory = await temporaryDirectory();
    const archive = await openLlmArchive({ directory, run: testRun, retry: { maxAttempts: 1 } });
    await archive
      .call({
        model: 'gpt-4o',
        request,
        invoke: async () => {
          throw Object.assign(new Error(`Incorrect API key provided: ${apiKey}`), { status: 401 });
        },
      })
      .catch(() => undefined);
    const { folder } = archivePaths(directory, testRun);
    const files = [
      join(folder, 'index.jsonl'),
      ...(await readdir(join(folder, 'responses'))).map((name) => join(folder, 'responses', name)),
    ];
    for (const file of files) expect(await readFile(file, 'utf8'), file).not.toContain(apiKey);
    await archive.close();
  });

  it('refuses bad options and calls, saying what to give', async () => {
    await expect(
      openLlmArchive({ run: testRun, durability: 'sometimes' } as never),
    ).rejects.toThrow(/durability: /);
    await expect(openLlmArchive({} as never)).rejects.toThrow(/needs the run its calls belong to/);
    const archive = await openLlmArchive({ directory: await temporaryDirectory(), run: testRun });
    await expect(
      archive.call({ model: '', request, invoke: async () => ({ text: '' }) }),
    ).rejects.toThrow('"model" must be');
    await expect(
      archive.call({ model: 'a', fallback: ['a'], request, invoke: async () => ({ text: '' }) }),
    ).rejects.toThrow('appears twice');
    await archive.close();
  });
});
