import { describe, expect, it } from 'vitest';
import { keysOf, storeOver, testRun } from '../testing/checkpoints-fixtures.js';
import { rejection } from '../testing/rejection.js';
import type { SaveInput } from './checkpoint-store.js';

async function refused(input: unknown) {
  const { store, storage } = storeOver();
  const error = await rejection(store.save(input as SaveInput));
  // Validation happens before anything is written.
  expect(await keysOf(storage)).toEqual([]);
  expect(error.code).toBe('INVALID_OPTIONS');
  return error;
}

describe('save input validation', () => {
  it('refuses a run id that is not <pipeline>/<time id>', async () => {
    const error = await refused({ run: 'research', step: 'gen', state: 1 });
    expect(error.message).toContain('"research" is not a run id');
  });

  it('refuses a step name that cannot be a key segment, suggesting one', async () => {
    const error = await refused({ run: testRun, step: 'gen/eval', state: 1 });
    expect(error.message).toContain('The step name "gen/eval" is not valid');
    expect(error.message).toContain('"gen_eval"');
  });

  it('needs exactly one of state, body or file', async () => {
    expect((await refused({ run: testRun, step: 'gen' })).message).toContain('got none');
    expect((await refused({ run: testRun, step: 'gen', state: 1, body: 'x' })).message).toContain(
      'got state and body',
    );
  });

  it('refuses a missing body and an empty file path', async () => {
    expect((await refused({ run: testRun, step: 'gen', body: undefined })).message).toContain(
      '`body` must be',
    );
    expect((await refused({ run: testRun, step: 'gen', file: '' })).message).toContain(
      '`file` must be',
    );
  });

  it('refuses state JSON cannot hold, naming the path', async () => {
    const error = await refused({
      run: testRun,
      step: 'gen',
      state: { items: [{ at: new Date() }] },
    });
    expect(error.message).toContain('state.items[0].at is a Date');
  });

  it('refuses metadata that is not plain JSON, naming the path', async () => {
    const error = await refused({
      run: testRun,
      step: 'gen',
      state: 1,
      metadata: { model: { loss: Number.NaN } },
    });
    expect(error.message).toContain('metadata.model.loss is NaN');
    expect((await refused({ run: testRun, step: 'g', state: 1, metadata: [1] })).message).toContain(
      '`metadata` must be a plain object',
    );
  });

  it('refuses metadata larger than 64 KiB as YAML, saying how large it was', async () => {
    const error = await refused({
      run: testRun,
      step: 'gen',
      state: 1,
      metadata: { blob: 'x'.repeat(70_000) },
    });
    expect(error.message).toMatch(/takes \d+ bytes as YAML, more than the 65536/);
  });

  it('accepts metadata just under the limit', async () => {
    const { store } = storeOver();
    const saved = await store.save({
      run: testRun,
      step: 'gen',
      state: 1,
      metadata: { blob: 'x'.repeat(60_000) },
    });
    expect((saved.metadata.blob as string).length).toBe(60_000);
  });

  it.each([
    ['NaN', Number.NaN, 'is NaN'],
    ['Infinity', Number.POSITIVE_INFINITY, 'is Infinity'],
    ['a string', '0.9', 'is string'],
  ])('refuses a metric that is %s', async (_name, value, expected) => {
    const error = await refused({ run: testRun, step: 'gen', state: 1, metrics: { f1: value } });
    expect(error.message).toContain(`Metric "f1" ${expected}`);
  });

  it('refuses metrics that are not an object', async () => {
    const error = await refused({ run: testRun, step: 'gen', state: 1, metrics: [0.5] });
    expect(error.message).toContain('`metrics` must be a plain object of numbers');
  });

  it('refuses tags that are not short strings', async () => {
    expect((await refused({ run: testRun, step: 'g', state: 1, tags: 'a' })).message).toContain(
      '`tags` must be an array',
    );
    expect((await refused({ run: testRun, step: 'g', state: 1, tags: [''] })).message).toContain(
      'The tag "" is not valid',
    );
    expect((await refused({ run: testRun, step: 'g', state: 1, tags: [1] })).message).toContain(
      'The tag 1 is not valid',
    );
    const many = Array.from({ length: 101 }, (_, index) => `t${index}`);
    expect((await refused({ run: testRun, step: 'g', state: 1, tags: many })).message).toContain(
      'at most 100',
    );
  });

  it('refuses a content type that is not printable ASCII', async () => {
    const error = await refused({ run: testRun, step: 'g', body: 'x', contentType: 'text/\u00e9' });
    expect(error.message).toContain('is not a media type');
  });

  it('refuses a save that is not an object', async () => {
    expect((await refused(undefined)).message).toContain('save() takes an object');
  });

  it('keeps its own copy of the metadata: later changes by the caller do not leak in', async () => {
    const { store } = storeOver();
    const metadata = { epoch: 1 };
    const saved = await store.save({ run: testRun, step: 'gen', state: 1, metadata });
    metadata.epoch = 2;
    expect(saved.metadata).toEqual({ epoch: 1 });
  });
});
