import { describe, expect, it } from 'vitest';
import { genesisHashOf, journalHashOf } from './journal-hash.js';
import { rechainLines } from './journal-rechain.js';

const run = 'research/20250810T143022.123Z-k3f9a2';

describe('rechainLines', () => {
  it('numbers the lines after the head and chains each to the one before', () => {
    const lines = [
      JSON.stringify({ v: 1, seq: 1, time: 't1', prev: genesisHashOf(run), event: { a: 'é' } }),
      JSON.stringify({ v: 1, seq: 2, time: 't2', prev: 'x', event: { b: [1, 2.5] } }),
    ];
    const after = { entries: 9, hash: 'f'.repeat(64) };
    const { lines: moved, head } = rechainLines(lines, after);
    expect(moved[0]).toBe(
      JSON.stringify({ v: 1, seq: 10, time: 't1', prev: after.hash, event: { a: 'é' } }),
    );
    expect(moved[1]).toBe(
      JSON.stringify({
        v: 1,
        seq: 11,
        time: 't2',
        prev: journalHashOf(moved[0] as string),
        event: { b: [1, 2.5] },
      }),
    );
    expect(head).toEqual({ entries: 11, hash: journalHashOf(moved[1] as string) });
  });

  it('leaves the head as it is when there is nothing to move', () => {
    const after = { entries: 3, hash: 'a'.repeat(64) };
    expect(rechainLines([], after)).toEqual({ lines: [], head: after });
  });
});
