import { isCairnError } from '@cairn/kernel';
import { describe, expect, it } from 'vitest';
import { type Fault, FaultRules, type RequestSummary } from './fault-rules.js';

const slowDown: Fault = { kind: 'status', status: 503, code: 'SlowDown' };
const internal: Fault = { kind: 'status', status: 500, code: 'InternalError' };

function request(overrides: Partial<RequestSummary> = {}): RequestSummary {
  return { method: 'PUT', path: '/cairn-test/a/b', query: {}, ...overrides };
}

describe('FaultRules', () => {
  it('gives nothing without rules', () => {
    expect(new FaultRules().take(request())).toBeUndefined();
  });

  it('uses a rule up after `times` matching requests', () => {
    const rules = new FaultRules();
    rules.add({ times: 2, fault: slowDown });
    expect(rules.take(request())).toBe(slowDown);
    expect(rules.take(request())).toBe(slowDown);
    expect(rules.take(request())).toBeUndefined();
  });

  it('never uses up an Infinity rule', () => {
    const rules = new FaultRules();
    rules.add({ times: Number.POSITIVE_INFINITY, fault: slowDown });
    for (let index = 0; index < 100; index += 1) expect(rules.take(request())).toBe(slowDown);
  });

  it('consults rules in order and lets a non-matching request pass without using one up', () => {
    const rules = new FaultRules();
    rules.add({ match: { method: 'get' }, times: 1, fault: slowDown });
    rules.add({ match: { query: 'partNumber' }, times: 1, fault: internal });
    expect(rules.take(request({ method: 'PUT' }))).toBeUndefined();
    expect(rules.take(request({ query: { partNumber: '1', uploadId: 'u' } }))).toBe(internal);
    expect(rules.take(request({ method: 'GET', query: { partNumber: '1' } }))).toBe(slowDown);
  });

  it('matches every given field: path substring, query name and predicate', () => {
    const rules = new FaultRules();
    rules.add({
      match: {
        pathIncludes: '/checkpoints/',
        query: 'uploadId',
        predicate: (summary) => summary.query.uploadId === 'wanted',
      },
      times: 1,
      fault: slowDown,
    });
    expect(
      rules.take(request({ path: '/b/other/x', query: { uploadId: 'wanted' } })),
    ).toBeUndefined();
    expect(rules.take(request({ path: '/b/checkpoints/x', query: {} }))).toBeUndefined();
    expect(
      rules.take(request({ path: '/b/checkpoints/x', query: { uploadId: 'other' } })),
    ).toBeUndefined();
    expect(rules.take(request({ path: '/b/checkpoints/x', query: { uploadId: 'wanted' } }))).toBe(
      slowDown,
    );
  });

  it('clear() removes every rule', () => {
    const rules = new FaultRules();
    rules.add({ times: 5, fault: slowDown });
    rules.clear();
    expect(rules.take(request())).toBeUndefined();
  });

  it.each([
    [{ times: 0, fault: slowDown }, /times/],
    [{ times: 1.5, fault: slowDown }, /times/],
    [{ times: 1, fault: { kind: 'status', status: 200, code: 'Ok' } }, /status/],
    [{ times: 1, fault: { kind: 'reset-request-body', afterBytes: -1 } }, /afterBytes/],
    [{ times: 1, fault: { kind: 'latency', ms: Number.NaN } }, /ms/],
    [{ times: 1, fault: { kind: 'explode' } }, /unknown fault kind/],
  ])('rejects an invalid rule %#', (rule, problem) => {
    const rules = new FaultRules();
    let thrown: unknown;
    try {
      rules.add(rule as never);
    } catch (error) {
      thrown = error;
    }
    expect(isCairnError(thrown, 'INVALID_OPTIONS')).toBe(true);
    expect((thrown as Error).message).toMatch(problem);
  });
});
