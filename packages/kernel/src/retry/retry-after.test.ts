import { describe, expect, it } from 'vitest';
import { parseRetryAfter } from './retry-after.js';

const now = Date.UTC(2026, 10, 22, 12, 0, 0);

describe('parseRetryAfter', () => {
  it('reads delta-seconds', () => {
    expect(parseRetryAfter('120', now)).toBe(120_000);
    expect(parseRetryAfter(' 0 ', now)).toBe(0);
  });

  it('reads an IMF-fixdate relative to now', () => {
    expect(parseRetryAfter('Sun, 22 Nov 2026 12:00:30 GMT', now)).toBe(30_000);
  });

  it('reads the obsolete RFC 850 and asctime forms', () => {
    expect(parseRetryAfter('Sunday, 22-Nov-26 12:01:00 GMT', now)).toBe(60_000);
    expect(parseRetryAfter('Sun Nov 22 12:00:05 2026', now)).toBe(5_000);
    expect(parseRetryAfter('Tue Dec  1 12:00:00 2026', now)).toBe(9 * 24 * 3_600_000);
  });

  it('puts a two-digit year more than 50 years ahead in the past century', () => {
    // 1977 is in the past, so no wait; read as 2077 it would be a 51-year wait.
    expect(parseRetryAfter('Monday, 22-Nov-77 12:00:00 GMT', now)).toBe(0);
    expect(parseRetryAfter('Monday, 22-Nov-76 12:00:00 GMT', now)).toBe(
      Date.UTC(2076, 10, 22, 12) - now,
    );
  });

  it('means no wait for a date already past', () => {
    expect(parseRetryAfter('Sun, 06 Nov 1994 08:49:37 GMT', now)).toBe(0);
  });

  it('takes a number as seconds', () => {
    expect(parseRetryAfter(2.5, now)).toBe(2_500);
    expect(parseRetryAfter(-1, now)).toBeUndefined();
    expect(parseRetryAfter(Number.NaN, now)).toBeUndefined();
  });

  it('returns undefined for anything it cannot read', () => {
    for (const value of [
      undefined,
      '',
      'soon',
      '-5',
      '1.5',
      '10s',
      '2026-11-22T12:00:30Z',
      'Sun, 22 Nov 2026 12:00:30 UTC',
      'Sun, 31 Feb 2026 12:00:00 GMT',
      'Sun, 22 Nov 2026 25:00:00 GMT',
      'Sun, 22 Nov 2026 12:61:00 GMT',
      'Sun, 22 Foo 2026 12:00:00 GMT',
    ]) {
      expect(parseRetryAfter(value, now), String(value)).toBeUndefined();
    }
  });
});
