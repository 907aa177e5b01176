import { describe, expect, it } from 'vitest';
import { answerProblems, isIsoDateTime, jsonRoundTripProblem } from './answer-shape.js';

describe('isIsoDateTime', () => {
  it.each([
    '2025-08-10T14:30:22.123Z',
    '2025-08-10T14:30:22Z',
    '2025-08-10T14:30Z',
    '2025-08-10T16:30:22.123+02:00',
  ])('accepts %s', (value) => {
    expect(isIsoDateTime(value)).toBe(true);
  });

  it.each([
    ['a date without a time', '2025-08-10'],
    ['a time without a zone', '2025-08-10T14:30:22'],
    ['a month 13', '2025-13-10T14:30:22Z'],
    ['words', 'yesterday'],
    ['milliseconds as a number', 1754836222123],
  ])('refuses %s', (_, value) => {
    expect(isIsoDateTime(value)).toBe(false);
  });
});

describe('jsonRoundTripProblem', () => {
  it('accepts nested plain JSON, objects without a prototype included', () => {
    const bare = Object.assign(Object.create(null), { lr: 0.1 });
    expect(jsonRoundTripProblem({ a: [1, 'x', null, { b: true }], bare }, 'metadata')).toBe(
      undefined,
    );
  });

  it('names the path of the first part JSON would change', () => {
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    expect(jsonRoundTripProblem({ a: [1, 2n] }, 'metadata')).toBe(
      'metadata.a[1] is a bigint, which JSON cannot hold',
    );
    expect(jsonRoundTripProblem({ map: new Map() }, 'm')).toMatch(/^m\.map is a Map, not plain/);
    const sparse: unknown[] = [1];
    sparse[2] = 3;
    expect(jsonRoundTripProblem(sparse, 'tags')).toBe('tags[1] is a hole in a sparse array');
    expect(jsonRoundTripProblem(cyclic, 'c')).toBe('c.self refers back to itself (a cycle)');
  });

  it('accepts the same object twice when it is not a cycle', () => {
    const shared = { lr: 0.1 };
    expect(jsonRoundTripProblem({ first: shared, second: shared }, 'metadata')).toBe(undefined);
  });
});

describe('answerProblems', () => {
  it('finds nothing wrong with a minimal answer', () => {
    expect(answerProblems({ metadata: {}, metrics: {}, tags: [] })).toEqual([]);
  });

  it('lists every problem, not only the first', () => {
    expect(
      answerProblems({ metadata: [], metrics: { loss: '0.1' }, tags: 'best', epoch: -1 }),
    ).toEqual([
      'metadata is an array, not a plain object',
      'metrics.loss is the string "0.1", not a finite number',
      'tags is the string "best", not an array of strings',
      'epoch is the number -1, not a non-negative integer',
    ]);
  });

  it('refuses an outcome that is not an object', () => {
    expect(answerProblems(undefined)).toEqual(['the answer is undefined, not an object']);
  });
});
