import { describe, expect, it } from 'vitest';
import { CairnError } from '../errors/cairn-error.js';
import { type AttemptInfo, defaultClassify } from './classify.js';

const info: AttemptInfo = {
  attempt: 1,
  elapsedMs: 0,
  nowMs: Date.UTC(2026, 10, 22, 12, 0, 0),
  candidate: undefined,
};

function withFields(fields: Record<string, unknown>): Error {
  return Object.assign(new Error('request failed'), fields);
}

describe('defaultClassify', () => {
  it('follows a Cairn error’s own retryable flag', () => {
    expect(defaultClassify(new CairnError({ code: 'TRANSIENT_IO', message: 'x' }), info)).toEqual({
      action: 'retry',
    });
    expect(defaultClassify(new CairnError({ code: 'PERMANENT_IO', message: 'x' }), info)).toEqual({
      action: 'give-up',
    });
    expect(
      defaultClassify(new CairnError({ code: 'NOT_FOUND', message: 'x', retryable: true }), info),
    ).toEqual({ action: 'retry' });
  });

  it('honours a Cairn error’s retryAfterMs', () => {
    const error = new CairnError({
      code: 'TRANSIENT_IO',
      message: 'slow down',
      retryAfterMs: 1_500,
    });
    expect(defaultClassify(error, info)).toEqual({ action: 'retry-after', delayMs: 1_500 });
  });

  it('trusts a Cairn error over any HTTP status it carries', () => {
    const error = Object.assign(new CairnError({ code: 'PERMANENT_IO', message: 'x' }), {
      status: 503,
    });
    expect(defaultClassify(error, info)).toEqual({ action: 'give-up' });
  });

  it('retries 408, 425, 429 and 5xx from status, statusCode or $metadata', () => {
    for (const status of [408, 425, 429, 500, 502, 503, 504, 599]) {
      expect(defaultClassify(withFields({ status }), info), `status ${status}`).toEqual({
        action: 'retry',
      });
    }
    expect(defaultClassify(withFields({ statusCode: 502 }), info)).toEqual({ action: 'retry' });
    expect(defaultClassify(withFields({ $metadata: { httpStatusCode: 500 } }), info)).toEqual({
      action: 'retry',
    });
  });

  it('gives up on other statuses', () => {
    for (const status of [400, 401, 403, 404, 409, 422, 301, 600]) {
      expect(defaultClassify(withFields({ status }), info), `status ${status}`).toEqual({
        action: 'give-up',
      });
    }
    expect(defaultClassify(withFields({ $metadata: { httpStatusCode: 403 } }), info)).toEqual({
      action: 'give-up',
    });
  });

  it('gives up on a client error even when its cause looks like a network failure', () => {
    const error = withFields({ status: 401, cause: withFields({ code: 'ECONNRESET' }) });
    expect(defaultClassify(error, info)).toEqual({ action: 'give-up' });
  });

  it('waits what Retry-After says on 429 and 503', () => {
    expect(
      defaultClassify(withFields({ status: 429, headers: { 'retry-after': '7' } }), info),
    ).toEqual({ action: 'retry-after', delayMs: 7_000 });
    expect(
      defaultClassify(
        withFields({ status: 503, headers: { 'Retry-After': 'Sun, 22 Nov 2026 12:00:30 GMT' } }),
        info,
      ),
    ).toEqual({ action: 'retry-after', delayMs: 30_000 });
    expect(defaultClassify(withFields({ statusCode: 429, retryAfter: '3' }), info)).toEqual({
      action: 'retry-after',
      delayMs: 3_000,
    });
    expect(defaultClassify(withFields({ status: 429, retryAfter: 2 }), info)).toEqual({
      action: 'retry-after',
      delayMs: 2_000,
    });
  });

  it('reads Retry-After from a fetch Headers object', () => {
    const headers = new Headers({ 'Retry-After': '4' });
    expect(defaultClassify(withFields({ status: 429, headers }), info)).toEqual({
      action: 'retry-after',
      delayMs: 4_000,
    });
  });

  it('prefers the precise retry-after-ms header', () => {
    const headers = { 'retry-after-ms': '1250.5', 'retry-after': '2' };
    expect(defaultClassify(withFields({ status: 429, headers }), info)).toEqual({
      action: 'retry-after',
      delayMs: 1_250.5,
    });
  });

  it('falls back to plain retry when Retry-After is missing or unreadable', () => {
    expect(defaultClassify(withFields({ status: 429 }), info)).toEqual({ action: 'retry' });
    expect(
      defaultClassify(withFields({ status: 503, headers: { 'retry-after': 'later' } }), info),
    ).toEqual({ action: 'retry' });
    expect(
      defaultClassify(withFields({ status: 429, headers: { 'retry-after-ms': 'soon' } }), info),
    ).toEqual({ action: 'retry' });
  });

  it('ignores Retry-After on statuses that do not promise it', () => {
    expect(
      defaultClassify(withFields({ status: 500, headers: { 'retry-after': '9' } }), info),
    ).toEqual({ action: 'retry' });
  });

  it('retries transient network codes, on the error or a few causes deep', () => {
    for (const code of [
      'ECONNRESET',
      'ETIMEDOUT',
      'ECONNREFUSED',
      'EPIPE',
      'EAI_AGAIN',
      'UND_ERR_CONNECT_TIMEOUT',
      'UND_ERR_HEADERS_TIMEOUT',
      'UND_ERR_BODY_TIMEOUT',
      'UND_ERR_SOCKET',
      'UND_ERR_CLOSED',
    ]) {
      expect(defaultClassify(withFields({ code }), info), code).toEqual({ action: 'retry' });
    }
    // What Node's fetch throws when the connection resets.
    const fetchFailure = new TypeError('fetch failed', {
      cause: withFields({ code: 'UND_ERR_SOCKET' }),
    });
    expect(defaultClassify(fetchFailure, info)).toEqual({ action: 'retry' });
  });

  it('gives up on other codes and on causes too deep or cyclic', () => {
    for (const code of [
      'ENOENT',
      'EACCES',
      'UND_ERR_INVALID_ARG',
      'UND_ERR_ABORTED',
      'ENOTFOUND',
    ]) {
      expect(defaultClassify(withFields({ code }), info), code).toEqual({ action: 'give-up' });
    }
    let deep: Error = withFields({ code: 'ECONNRESET' });
    for (let level = 0; level < 5; level += 1) deep = new Error('wrapped', { cause: deep });
    expect(defaultClassify(deep, info)).toEqual({ action: 'give-up' });
    const cyclic = withFields({});
    (cyclic as Error & { cause: unknown }).cause = cyclic;
    expect(defaultClassify(cyclic, info)).toEqual({ action: 'give-up' });
  });

  it('gives up on plain errors and non-objects', () => {
    for (const error of [
      new Error('bug'),
      new TypeError('x is undefined'),
      'text',
      42,
      null,
      undefined,
    ]) {
      expect(defaultClassify(error, info), String(error)).toEqual({ action: 'give-up' });
    }
  });
});
