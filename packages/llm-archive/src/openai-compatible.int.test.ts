import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import OpenAI from 'openai';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openLlmArchive } from './llm-archive.js';
import { archivedFetch } from './openai-compatible.js';
import { temporaryDirectory, testRun } from './testing/archive-fixtures.js';
import { type OpenAiTestServer, startOpenAiTestServer } from './testing/openai-test-server.js';

const apiKey = 'sk-test-Qm7vT2xLp9Rw4Yz8Kc3Nb6Hd1Fg5Js0Aa';
const fastRetry = { initialDelayMs: 1, maxDelayMs: 5, maxAttempts: 4 };
let server: OpenAiTestServer;

beforeEach(async () => {
  server = await startOpenAiTestServer();
});
afterEach(async () => {
  await server.close();
});

async function indexEntries(folder: string) {
  return (await readFile(join(folder, 'index.jsonl'), 'utf8'))
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line));
}

async function archiveText(folder: string): Promise<string> {
  const names = await readdir(join(folder, 'responses'));
  const parts = await Promise.all(
    names.map((name) => readFile(join(folder, 'responses', name), 'utf8')),
  );
  return [await readFile(join(folder, 'index.jsonl'), 'utf8'), ...parts].join('\n');
}

async function clientFor(
  directory: string,
  options: Parameters<typeof archivedFetch>[1] = {},
  archiveOptions = {},
) {
  const archive = await openLlmArchive({
    directory,
    run: testRun,
    retry: fastRetry,
    ...archiveOptions,
  });
  const client = new OpenAI({
    apiKey,
    baseURL: server.baseUrl,
    maxRetries: 0,
    fetch: archivedFetch(archive, options),
  });
  return { archive, client };
}

const question = {
  model: 'gpt-4o-mini',
  messages: [{ role: 'user' as const, content: 'What is 2 + 2?' }],
};

describe('the openai client through the archive', () => {
  it('records an answered completion before the client gets it, and keeps the key out', async () => {
    const { archive, client } = await clientFor(await temporaryDirectory(), {
      step: 'ask',
      item: 1,
    });
    const completion = await client.chat.completions.create(question);
    expect(completion.choices[0]?.message.content).toBe('echo: What is 2 + 2?');
    const [entry] = await indexEntries(archive.folder);
    expect(entry).toMatchObject({
      requestedModel: 'gpt-4o-mini',
      servedModel: 'gpt-4o-mini-served',
      provider: new URL(server.baseUrl).host,
      step: 'ask',
      item: 1,
      status: 'ok',
      promptTokens: completion.usage?.prompt_tokens,
      completionTokens: completion.usage?.completion_tokens,
    });
    expect(server.received[0]?.authorization).toBe(`Bearer ${apiKey}`);
    expect(await archiveText(archive.folder)).not.toContain(apiKey);
    await archive.close();
  });

  it('rides out 429 with Retry-After, 500, a reset connection, a malformed body and a stalled server', async () => {
    const { archive, client } = await clientFor(
      await temporaryDirectory(),
      {},
      { attemptTimeoutMs: 300, retry: { ...fastRetry, maxAttempts: 6 } },
    );
    server.script(
      {
        kind: 'status',
        status: 429,
        headers: { 'retry-after': '1' },
        body: { error: { message: 'slow down', type: 'rate_limit_error' } },
      },
      { kind: 'status', status: 500 },
      { kind: 'reset' },
      { kind: 'malformed' },
      { kind: 'hang' },
    );
    const started = Date.now();
    const completion = await client.chat.completions.create(question);
    expect(completion.choices[0]?.message.content).toBe('echo: What is 2 + 2?');
    // Retry-After: 1 second was honoured.
    expect(Date.now() - started).toBeGreaterThanOrEqual(1000);
    expect(server.received).toHaveLength(6);
    expect(
      (await indexEntries(archive.folder)).map((entry) => [
        entry.attempt,
        entry.status,
        entry.errorClass,
      ]),
    ).toEqual([
      [1, 'error', 'RateLimited'],
      [2, 'error', 'ServerError'],
      [3, 'error', 'Connection'],
      [4, 'error', 'InvalidResponse'],
      [5, 'error', 'Timeout'],
      [6, 'ok', undefined],
    ]);
    await archive.close();
  });

  it('gives the client the 401 as the server sent it, after one attempt', async () => {
    const { archive, client } = await clientFor(await temporaryDirectory());
    server.script({
      kind: 'status',
      status: 401,
      body: {
        error: {
          message: 'Incorrect API key provided',
          type: 'invalid_request_error',
          code: 'invalid_api_key',
        },
      },
    });
    await expect(client.chat.completions.create(question)).rejects.toBeInstanceOf(
      OpenAI.AuthenticationError,
    );
    expect(server.received).toHaveLength(1);
    expect((await indexEntries(archive.folder))[0]).toMatchObject({
      status: 'error',
      errorClass: 'Unauthorized',
      httpStatus: 401,
    });
    await archive.close();
  });

  it('falls back to the next model and says which served', async () => {
    const { archive, client } = await clientFor(
      await temporaryDirectory(),
      { fallback: ['gpt-4o'] },
      { retry: { ...fastRetry, maxAttempts: 2 } },
    );
    server.script({ kind: 'status', status: 503 }, { kind: 'status', status: 503 });
    const completion = await client.chat.completions.create(question);
    expect(completion.model).toBe('gpt-4o-served');
    expect(server.received.map((request) => request.body.model)).toEqual([
      'gpt-4o-mini',
      'gpt-4o-mini',
      'gpt-4o',
    ]);
    await archive.close();
  });

  it('streams to the client, and records the whole answer with time to first token and usage when it ends', async () => {
    const { archive, client } = await clientFor(await temporaryDirectory());
    server.script({ kind: 'answer', text: 'one two three four', chunkDelayMs: 5 });
    const stream = await client.chat.completions.create({ ...question, stream: true });
    let text = '';
    for await (const chunk of stream) text += chunk.choices[0]?.delta?.content ?? '';
    expect(text).toBe('one two three four');
    const [entry] = await indexEntries(archive.folder);
    expect(entry).toMatchObject({ status: 'ok', stream: true, servedModel: 'gpt-4o-mini-served' });
    expect(entry.timeToFirstTokenMs).toBeGreaterThanOrEqual(0);
    expect(entry.timeToFirstTokenMs).toBeLessThanOrEqual(entry.latencyMs);
    expect(entry.completionTokens).toBe(4);
    expect(server.received[0]?.body.stream_options).toEqual({ include_usage: true });
    await archive.close();
  });

  it('records the partial text of a stream the client aborts', async () => {
    const { archive, client } = await clientFor(await temporaryDirectory());
    server.script({ kind: 'stream-then-stall', chunks: 2 });
    const controller = new AbortController();
    const stream = await client.chat.completions.create(
      { ...question, stream: true },
      { signal: controller.signal },
    );
    let text = '';
    // The openai client ends the iteration quietly when its own signal aborts it.
    await (async () => {
      for await (const chunk of stream) {
        text += chunk.choices[0]?.delta?.content ?? '';
        if (text.split(' ').length >= 2) controller.abort();
      }
    })().catch(() => undefined);
    expect(text).toBe('echo: What ');
    // The record lands as the stream is cancelled; wait for it.
    await expect.poll(async () => (await indexEntries(archive.folder)).length).toBe(1);
    const [entry] = await indexEntries(archive.folder);
    expect(entry).toMatchObject({ status: 'aborted', stream: true });
    const stored = JSON.parse(await readFile(join(archive.folder, entry.response), 'utf8'));
    expect(stored.answer).toMatchObject({ partial: true, text: 'echo: What ' });
    await archive.close();
  });

  it('replays answered calls on a resumed run without a request, plain and streamed', async () => {
    const directory = await temporaryDirectory();
    const first = await clientFor(directory);
    const answered = await first.client.chat.completions.create(question);
    const streamed = await first.client.chat.completions.create({
      ...question,
      stream: true,
      temperature: 0.5,
    });
    let firstText = '';
    for await (const chunk of streamed) firstText += chunk.choices[0]?.delta?.content ?? '';
    await first.archive.close();
    expect(server.received).toHaveLength(2);

    const resumed = await clientFor(directory);
    expect(resumed.archive.replaying).toBe(true);
    const again = await resumed.client.chat.completions.create(question);
    expect(again).toEqual(answered);
    const replayedStream = await resumed.client.chat.completions.create({
      ...question,
      stream: true,
      temperature: 0.5,
    });
    let replayedText = '';
    for await (const chunk of replayedStream)
      replayedText += chunk.choices[0]?.delta?.content ?? '';
    expect(replayedText).toBe(firstText);
    expect(server.received).toHaveLength(2);
    expect(
      (await indexEntries(resumed.archive.folder)).slice(2).map((entry) => entry.replayed),
    ).toEqual([true, true]);
    await resumed.archive.close();
  });
});
