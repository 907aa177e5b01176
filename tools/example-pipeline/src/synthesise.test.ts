import { describe, expect, it } from 'vitest';
import type { CompressedCandidate, FailedItem } from './research-types.js';
import { type SynthesisInput, synthesise } from './synthesise.js';

function compressed(id: string, topic: string, temperature: number): CompressedCandidate {
  return { id, topic, temperature, text: `answer ${id}`, duplicates: [], truncated: false };
}

const generationFailure: FailedItem = {
  step: 'generate_candidates',
  index: 3,
  id: 'c3',
  message: 'refused',
};
const evaluationFailure: FailedItem = { step: 'evaluate', index: 4, id: 'e', message: 'gone' };

function input(scores: Record<string, number>): SynthesisInput {
  const candidates = [
    compressed('a', 'tides', 0.7),
    compressed('b', 'dunes', 0.2),
    compressed('c', 'tides', 0.2),
    compressed('d', 'dunes', 1.2),
    compressed('e', 'tides', 1.2),
  ];
  return {
    generated: { requested: 7, candidates, failed: [generationFailure] },
    compressed: { received: 6, candidates, duplicatesRemoved: 1 },
    evaluated: {
      evaluations: Object.entries(scores).map(([id, score]) => ({ id, score })),
      failed: [evaluationFailure],
    },
  };
}

describe('synthesise', () => {
  it('ranks by score (ties by id), keeps the best and sums up the run', () => {
    const synthesis = synthesise(input({ d: 0.5, a: 0.9, c: 0.5, b: 0.2 }), { bestCount: 3 });
    expect(synthesis.best.map((candidate) => [candidate.id, candidate.score])).toEqual([
      ['a', 0.9],
      ['c', 0.5],
      ['d', 0.5],
    ]);
    expect(synthesis.best[0]).toEqual({
      id: 'a',
      topic: 'tides',
      temperature: 0.7,
      score: 0.9,
      text: 'answer a',
    });
    expect(synthesis.metrics).toEqual({
      requested: 7,
      generated: 5,
      duplicatesRemoved: 1,
      scored: 4,
      failed: 2,
      meanScore: 0.525,
      bestScore: 0.9,
    });
    expect(synthesis.failed).toEqual([generationFailure, evaluationFailure]);
  });

  it('summarises per topic (best topic first) and per temperature (lowest first)', () => {
    const synthesis = synthesise(input({ a: 0.9, b: 0.2, c: 0.5, d: 0.6 }), { bestCount: 1 });
    expect(synthesis.byTopic).toEqual([
      { value: 'tides', scored: 2, meanScore: 0.7, bestScore: 0.9 },
      { value: 'dunes', scored: 2, meanScore: 0.4, bestScore: 0.6 },
    ]);
    expect(synthesis.byTemperature).toEqual([
      { value: '0.2', scored: 2, meanScore: 0.35, bestScore: 0.5 },
      { value: '0.7', scored: 1, meanScore: 0.9, bestScore: 0.9 },
      { value: '1.2', scored: 1, meanScore: 0.6, bestScore: 0.6 },
    ]);
  });

  it('ignores verdicts on unknown candidates and gives zeros when nothing was scored', () => {
    const synthesis = synthesise(input({ zzz: 1 }), { bestCount: 3 });
    expect(synthesis.best).toEqual([]);
    expect(synthesis.byTopic).toEqual([]);
    expect(synthesis.metrics).toMatchObject({ scored: 0, meanScore: 0, bestScore: 0 });
  });
});
