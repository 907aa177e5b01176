import { describe, expect, it } from 'vitest';
import {
  createCoverageCounter,
  createParameterGrid,
  parameterValueLabel,
} from './parameter-grid.js';

describe('createParameterGrid', () => {
  it('deals combinations like nested loops, first parameter outermost, wrapping round', () => {
    const grid = createParameterGrid({ a: [1, 2], b: ['x', 'y', 'z'] });
    expect(grid.size).toBe(6);
    expect(grid.names).toEqual(['a', 'b']);
    expect(Array.from({ length: 8 }, (_, index) => grid.parametersOf(index))).toEqual([
      { a: 1, b: 'x' },
      { a: 1, b: 'y' },
      { a: 1, b: 'z' },
      { a: 2, b: 'x' },
      { a: 2, b: 'y' },
      { a: 2, b: 'z' },
      { a: 1, b: 'x' },
      { a: 1, b: 'y' },
    ]);
    // Parameters keep the grid's order.
    expect(Object.keys(grid.parametersOf(4))).toEqual(['a', 'b']);
  });

  it('numbers a huge grid without listing it', () => {
    const lists = Object.fromEntries(
      Array.from({ length: 12 }, (_, position) => [
        `p${position}`,
        Array.from({ length: 10 }, (_, value) => value),
      ]),
    );
    const grid = createParameterGrid(lists);
    expect(grid.size).toBe(10 ** 12);
    expect(Object.values(grid.parametersOf(123_456_789_012))).toEqual([
      1, 2, 3, 4, 5, 6, 7, 8, 9, 0, 1, 2,
    ]);
  });

  it.each([
    ['no parameters', {}, 'names no parameter'],
    ['an empty list', { a: [] }, 'non-empty list'],
    ['a list that is not one', { a: 'ab' }, 'non-empty list'],
    ['a repeated label', { a: [1, '1'] }, 'twice'],
    ['a value that is not JSON', { a: [1n] }, 'cannot be stored as JSON'],
  ])('rejects %s', (_name, grid, message) => {
    expect(() => createParameterGrid(grid as never)).toThrow(message);
  });

  it('rejects more combinations than can be numbered', () => {
    const big = Array.from({ length: 1000 }, (_, value) => value);
    expect(() => createParameterGrid({ a: big, b: big, c: big, d: big, e: big, f: big })).toThrow(
      'too many',
    );
  });
});

describe('coverage', () => {
  it('labels strings as they are and other values as JSON', () => {
    expect(parameterValueLabel('gpt')).toBe('gpt');
    expect(parameterValueLabel(0.2)).toBe('0.2');
    expect(parameterValueLabel(null)).toBe('null');
    expect(parameterValueLabel({ b: 1, a: 2 })).toBe('{"a":2,"b":1}');
  });

  it('counts per value from zero, and ignores values outside the grid', () => {
    const lists = { t: [0.2, 0.7], m: ['a'] };
    const counter = createCoverageCounter(lists, ['t', 'm']);
    counter.add({ t: 0.2, m: 'a' }, 'done');
    counter.add({ t: 0.2, m: 'a' }, 'failed');
    counter.add({ t: 0.9, m: 'z' }, 'done');
    expect(counter.snapshot()).toEqual({
      t: { '0.2': { done: 1, failed: 1 }, '0.7': { done: 0, failed: 0 } },
      m: { a: { done: 1, failed: 1 } },
    });
    // A snapshot is a copy.
    const snapshot = counter.snapshot();
    counter.add({ t: 0.7, m: 'a' }, 'done');
    expect(snapshot.t?.['0.7']).toEqual({ done: 0, failed: 0 });
  });
});
