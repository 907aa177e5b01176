import { describe, expect, it } from 'vitest';
import { compressCandidates, shortenAnswer } from './compress-candidates.js';
import type { Candidate } from './research-types.js';

function candidate(id: string, text: string, topic = 'tides'): Candidate {
  return { id, topic, temperature: 0.7, text };
}

describe('shortenAnswer', () => {
  it('drops hedges and runs of spaces', () => {
    expect(shortenAnswer('Tides,  basically, rise   and honestly, fall.', 10)).toEqual({
      text: 'Tides, rise and fall.',
      truncated: false,
    });
    expect(shortenAnswer('In a sense, to be fair, dunes move.', 10).text).toBe('dunes move.');
  });

  it('cuts long answers at the word limit and marks the cut', () => {
    expect(shortenAnswer('one two three, four five', 3)).toEqual({
      text: 'one two three…',
      truncated: true,
    });
    expect(shortenAnswer('one two three', 3).truncated).toBe(false);
  });
});

describe('compressCandidates', () => {
  it('keeps the first of each answer and lists the later ones as its duplicates', () => {
    const result = compressCandidates(
      [
        candidate('a', 'Tides rise with the moon.'),
        candidate('b', 'Glaciers retreat.', 'glaciers'),
        candidate('c', 'tides, basically, rise with the MOON'),
        candidate('d', 'Tides rise with the moon.'),
      ],
      { maxWords: 20 },
    );
    expect(result.received).toBe(4);
    expect(result.duplicatesRemoved).toBe(2);
    expect(result.candidates).toEqual([
      {
        id: 'a',
        topic: 'tides',
        temperature: 0.7,
        text: 'Tides rise with the moon.',
        truncated: false,
        duplicates: ['c', 'd'],
      },
      {
        id: 'b',
        topic: 'glaciers',
        temperature: 0.7,
        text: 'Glaciers retreat.',
        truncated: false,
        duplicates: [],
      },
    ]);
  });

  it('merges answers that only differ after the word limit', () => {
    const result = compressCandidates(
      [candidate('a', 'one two three four'), candidate('b', 'one two three five')],
      { maxWords: 3 },
    );
    expect(result.candidates.map((kept) => [kept.id, kept.text, kept.truncated])).toEqual([
      ['a', 'one two three…', true],
    ]);
    expect(result.duplicatesRemoved).toBe(1);
  });

  it('handles no candidates', () => {
    expect(compressCandidates([], { maxWords: 5 })).toEqual({
      received: 0,
      candidates: [],
      duplicatesRemoved: 0,
    });
  });
});
