import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { extractJson, parseJsonAnswer } from './extract-json.js';
import { openLlmArchive } from './llm-archive.js';
import { temporaryDirectory, testRun } from './testing/archive-fixtures.js';

describe('extracting JSON from answers', () => {
  it('finds JSON bare, fenced, or amid prose, ignoring brackets inside strings', () => {
    expect(extractJson('{"a": 1}')).toEqual({ a: 1 });
    expect(extractJson('Here you go:\n```json\n{"a": [1, 2]}\n```\nAnything else?')).toEqual({
      a: [1, 2],
    });
    expect(extractJson('```\n[1, 2, 3]\n```')).toEqual([1, 2, 3]);
    expect(
      extractJson(
        'Sure! The answer is {"text": "a } and { inside", "n": 2}. Hope it helps {not json}',
      ),
    ).toEqual({
      text: 'a } and { inside',
      n: 2,
    });
    expect(extractJson('I think [maybe] this: {"ok": true}')).toEqual({ ok: true });
  });

  it('says there is no JSON, keeping the raw answer, and checks a schema', () => {
    const error = (() => {
      try {
        extractJson('I cannot answer that.');
      } catch (thrown) {
        return thrown as {
          code: string;
          retryable: boolean;
          message: string;
          details: { raw: string };
        };
      }
    })();
    expect(error).toMatchObject({
      code: 'CORRUPT_DATA',
      retryable: true,
      details: { raw: 'I cannot answer that.', errorClass: 'InvalidResponse' },
    });
    expect(error?.message).toContain('holds no usable JSON');
    const schema = z.object({ answer: z.number() });
    expect(parseJsonAnswer('```json\n{"answer": 4}\n```', schema)).toEqual({ answer: 4 });
    expect(() => parseJsonAnswer('{"answer": "four"}', schema)).toThrow(
      'does not match the schema at "answer"',
    );
  });
});

describe('calls that must answer JSON', () => {
  it('records an answer without valid JSON as a failed attempt with its text, and asks again', async () => {
    const archive = await openLlmArchive({
      directory: await temporaryDirectory(),
      run: testRun,
      retry: { initialDelayMs: 1, maxDelayMs: 2 },
    });
    const answers = [
      'Sure, the answer is four.',
      '```json\n{"answer": "4"}\n```',
      'Result: {"answer": 4}',
    ];
    const result = await archive.callJson({
      model: 'gpt-4o-mini',
      request: { messages: [{ role: 'user', content: 'JSON please' }] },
      schema: z.object({ answer: z.number() }),
      invoke: async () => ({
        text: answers.shift() as string,
        promptTokens: 10,
        completionTokens: 5,
      }),
    });
    expect(result).toMatchObject({ value: { answer: 4 }, attempts: 3 });
    const entries = (await readFile(join(archive.folder, 'index.jsonl'), 'utf8'))
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line));
    expect(
      entries.map((entry) => [entry.status, entry.errorClass, entry.completionTokens]),
    ).toEqual([
      ['error', 'InvalidResponse', 5],
      ['error', 'InvalidResponse', 5],
      ['ok', undefined, 5],
    ]);
    // The paid-for attempts are costed, and their raw answers kept.
    expect(entries[0].cost).toEqual({ usd: 0.0000045 });
    const first = JSON.parse(await readFile(join(archive.folder, entries[0].response), 'utf8'));
    expect(first).toMatchObject({ status: 'error', answer: { text: 'Sure, the answer is four.' } });
    await archive.close();
  });
});
