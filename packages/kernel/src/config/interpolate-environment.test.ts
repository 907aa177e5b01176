// biome-ignore-all lint/suspicious/noTemplateCurlyInString: these strings are config text whose ${…} Cairn interpolates, not JavaScript templates.
import { describe, expect, it } from 'vitest';
import { interpolateString } from './interpolate-environment.js';

const environment = { HOST: 'db.local', PORT: '5432', EMPTY: '' };

describe('interpolateString', () => {
  it.each([
    ['plain text', 'plain text', false, []],
    ['${HOST}', 'db.local', true, ['db.local']],
    [
      'postgres://${HOST}:${PORT}/cairn',
      'postgres://db.local:5432/cairn',
      true,
      ['db.local', '5432'],
    ],
    ['${MISSING:-fallback}', 'fallback', true, []],
    ['${EMPTY:-fallback}', 'fallback', true, []],
    ['${HOST:-fallback}', 'db.local', true, ['db.local']],
    ['${MISSING:-}', '', true, []],
    ['${MISSING:-a:-b}', 'a:-b', true, []],
    ['${EMPTY}', '', true, []],
    ['$${HOST}', '${HOST}', false, []],
    ['cost: $5 and $$ and $HOST', 'cost: $5 and $$ and $HOST', false, []],
    ['$${HOST} is ${HOST}', '${HOST} is db.local', true, ['db.local']],
  ])('%s → %s', (text, value, interpolated, substituted) => {
    expect(interpolateString(text, environment)).toEqual({
      value,
      interpolated,
      substituted,
      problems: [],
    });
  });

  it('reports a missing variable by name only, with both ways to fix it', () => {
    const result = interpolateString('${API_TOKEN}', environment);
    expect(result.problems).toEqual([
      'environment variable API_TOKEN is not set: set it before running (export API_TOKEN=…), or give a default with ${API_TOKEN:-default}',
    ]);
  });

  it('reports every problem in one string', () => {
    const result = interpolateString('${A} ${B} ${9bad} ${open', environment);
    expect(result.problems).toHaveLength(4);
    expect(result.problems[2]).toContain('"${9bad…}" is not a valid reference');
    expect(result.problems[3]).toContain('"${" is not closed');
  });

  it('does not print the default of an invalid reference', () => {
    const result = interpolateString('${bad name:-hunter2}', environment);
    expect(result.problems[0]).toContain('"${bad name…}"');
    expect(result.problems[0]).not.toContain('hunter2');
  });
});
