import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createOpenAICompatible } from '@ai-sdk/openai-compatible';
import { generateText, streamText, wrapLanguageModel } from 'ai';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { archiveMiddleware } from './ai-sdk-middleware.js';
import { openLlmArchive } from './llm-archive.js';
import { temporaryDirectory, testRun } from './testing/archive-fixtures.js';
import { type OpenAiTestServer, startOpenAiTestServer } from './testing/openai-test-server.js';

let server: OpenAiTestServer;
beforeEach(async () => {
  server = await startOpenAiTestServer();
});
afterEach(async () => {
  await server.close();
});

async function entries(folder: string) {
  return (await readFile(join(folder, 'index.jsonl'), 'utf8'))
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line));
}

async function modelFor(directory: string) {
  const archive = await openLlmArchive({
    directory,
    run: testRun,
    retry: { initialDelayMs: 1, maxDelayMs: 5 },
  });
  const provider = createOpenAICompatible({
    name: 'loopback',
    baseURL: server.baseUrl,
    apiKey: 'sk-ai-sdk-test-0000000000000000',
    includeUsage: true,
  });
  return {
    archive,
    model: wrapLanguageModel({
      model: provider('gpt-4o-mini'),
      middleware: archiveMiddleware(archive, { step: 'ask' }),
    }),
  };
}

describe('the AI SDK (ai 5) through the archive middleware', () => {
  it('records generateText, retrying a 429 with Retry-After, and replays it on a resumed run', async () => {
    const directory = await temporaryDirectory();
    const first = await modelFor(directory);
    server.script({ kind: 'status', status: 429, headers: { 'retry-after-ms': '20' } });
    const { text, usage } = await generateText({
      model: first.model,
      prompt: 'What is 2 + 2?',
      maxRetries: 0,
    });
    expect(text).toBe('echo: What is 2 + 2?');
    expect(server.received).toHaveLength(2);
    const recorded = await entries(first.archive.folder);
    expect(recorded.map((entry) => [entry.attempt, entry.status, entry.errorClass])).toEqual([
      [1, 'error', 'RateLimited'],
      [2, 'ok', undefined],
    ]);
    expect(recorded[1]).toMatchObject({
      step: 'ask',
      servedModel: 'gpt-4o-mini-served',
      completionTokens: usage.outputTokens,
    });
    await first.archive.close();

    const resumed = await modelFor(directory);
    const again = await generateText({
      model: resumed.model,
      prompt: 'What is 2 + 2?',
      maxRetries: 0,
    });
    expect(again.text).toBe(text);
    expect(server.received).toHaveLength(2);
    expect((await entries(resumed.archive.folder)).at(-1)).toMatchObject({ replayed: true });
    await resumed.archive.close();
  });

  it('records streamText when the stream ends, with time to first token, and replays the stream', async () => {
    const directory = await temporaryDirectory();
    const first = await modelFor(directory);
    server.script({ kind: 'answer', text: 'one two three', chunkDelayMs: 5 });
    const result = streamText({ model: first.model, prompt: 'Count', maxRetries: 0 });
    let text = '';
    for await (const delta of result.textStream) text += delta;
    expect(text).toBe('one two three');
    const [entry] = await entries(first.archive.folder);
    expect(entry).toMatchObject({ status: 'ok', stream: true, completionTokens: 3 });
    expect(entry.timeToFirstTokenMs).toBeGreaterThanOrEqual(0);
    await first.archive.close();

    const resumed = await modelFor(directory);
    const replayed = streamText({ model: resumed.model, prompt: 'Count', maxRetries: 0 });
    let again = '';
    for await (const delta of replayed.textStream) again += delta;
    expect(again).toBe('one two three');
    expect(server.received).toHaveLength(1);
    await resumed.archive.close();
  });
});
