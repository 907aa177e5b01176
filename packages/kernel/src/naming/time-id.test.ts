import { describe, expect, it } from 'vitest';
import { createTimeIdGenerator, formatTimeStamp, timeIdPattern, timeOfId } from './time-id.js';

describe('time ids', () => {
  it('formats a readable, fixed-width UTC stamp with a random suffix', () => {
    const ids = createTimeIdGenerator({
      now: () => Date.UTC(2025, 7, 10, 14, 30, 22, 123),
      randomBytes: (size) => new Uint8Array(size).fill(1),
    });
    expect(ids.next()).toBe('20250810T143022.123Z-111111');
    expect(formatTimeStamp(0)).toBe('19700101T000000.000Z');
  });

  it('sorts as plain strings in the order the ids were made, even on a still clock', () => {
    let clock = Date.UTC(2025, 0, 1);
    const ids = createTimeIdGenerator({ now: () => clock });
    const made: string[] = [];
    for (let index = 0; index < 50; index++) {
      made.push(ids.next());
      // The clock stands still, then steps back: ids must still increase.
      if (index === 20) clock -= 5000;
    }
    expect([...made].sort()).toEqual(made);
    expect(new Set(made).size).toBe(made.length);
    for (const id of made) expect(id).toMatch(timeIdPattern);
  });

  it('reads the time back from an id or a prefixed id', () => {
    const ids = createTimeIdGenerator({ now: () => Date.UTC(2026, 10, 22, 9, 8, 7, 6) });
    const id = ids.next();
    expect(timeOfId(id)?.toISOString()).toBe('2026-11-22T09:08:07.006Z');
    expect(timeOfId(`research/${id}`)?.toISOString()).toBe('2026-11-22T09:08:07.006Z');
    expect(timeOfId('research/not-an-id')).toBeUndefined();
  });
});
