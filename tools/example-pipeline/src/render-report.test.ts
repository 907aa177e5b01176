import { describe, expect, it } from 'vitest';
import { renderReport } from './render-report.js';
import type { Synthesis } from './research-types.js';

const synthesis: Synthesis = {
  metrics: {
    requested: 12,
    generated: 11,
    duplicatesRemoved: 2,
    scored: 9,
    failed: 1,
    meanScore: 0.61234,
    bestScore: 0.9,
  },
  best: [
    {
      id: 'candidate-0004',
      topic: 'dunes',
      temperature: 0.7,
      score: 0.9,
      text: 'Dunes | move\nat night.',
    },
    { id: 'candidate-0001', topic: 'tides', temperature: 0.2, score: 0.85, text: 'Tides rise.' },
  ],
  byTopic: [{ value: 'dunes', scored: 5, meanScore: 0.7, bestScore: 0.9 }],
  byTemperature: [{ value: '0.2', scored: 9, meanScore: 0.61234, bestScore: 0.9 }],
  failed: [
    { step: 'generate_candidates', index: 7, id: 'candidate-0007', message: 'The model refused.' },
  ],
};

describe('renderReport', () => {
  it('writes the summary, the best candidates, the groups and the failures as Markdown', () => {
    const markdown = renderReport({ run: 'research/20260101T000000.000Z-abcdef', synthesis });
    expect(markdown.startsWith('# Research report\n')).toBe(true);
    expect(markdown).toContain('`research/20260101T000000.000Z-abcdef`');
    expect(markdown).toContain('| candidates scored | 9 |');
    expect(markdown).toContain('| mean score | 0.612 |');
    // A pipe or a newline in an answer must not break the table.
    expect(markdown).toContain(
      '| 1 | candidate-0004 | dunes | 0.7 | 0.900 | Dunes \\| move at night. |',
    );
    expect(markdown).toContain('| 2 | candidate-0001 | tides | 0.2 | 0.850 | Tides rise. |');
    expect(markdown).toContain('| dunes | 5 | 0.700 | 0.900 |');
    expect(markdown).toContain('| 0.2 | 9 | 0.612 | 0.900 |');
    expect(markdown).toContain(
      '- generate_candidates, item 7 (candidate-0007): The model refused.',
    );
    const headings = markdown.split('\n').filter((line) => line.startsWith('## '));
    expect(headings).toEqual([
      '## Summary',
      '## Best candidates',
      '## By topic',
      '## By temperature',
      '## Failed items',
    ]);
  });

  it('says so when nothing was scored and nothing failed', () => {
    const markdown = renderReport({
      run: 'research/x',
      synthesis: { ...synthesis, best: [], byTopic: [], byTemperature: [], failed: [] },
    });
    expect(markdown).toContain('## Best candidates\n\nNo candidate was scored.');
    expect(markdown).toContain('## Failed items\n\nNone.');
  });
});
