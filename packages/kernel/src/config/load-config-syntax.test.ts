import { describe, expect, it } from 'vitest';
import { rejection } from '../testing/rejection.js';
import { temporaryProjects } from '../testing/temporary-project.js';
import { loadConfig } from './load-config.js';

const projectWith = temporaryProjects('cairn-load-config');

function load(projectDirectory: string, environment: Record<string, string> = {}) {
  return loadConfig({ projectDirectory, environment });
}

describe('loadConfig: YAML problems', () => {
  it('reports a syntax error with file, line, column and the reason', async () => {
    const directory = await projectWith({
      'cairn.config.yaml': 'storage:\n  use: memory\n  options:\n    root: "x\n',
    });
    const error = await rejection(load(directory));
    expect(error.code).toBe('INVALID_CONFIG');
    // yaml notices the missing quote at the end of the file (5:1); the quote that opened the
    // string is where the mistake is.
    expect(error.message).toBe(
      '[cairn] [config] cairn.config.yaml:4:11: Missing closing "quote: the string starting here runs on to 5:1. End it with " (write \\" for a quote inside it). Fix the YAML syntax there.',
    );
    expect(error.details).toMatchObject({
      issues: [{ line: 4, column: 11, code: 'MISSING_CHAR', noticedAt: { line: 5, column: 1 } }],
    });
    expect(error.message).toContain('Fix the YAML syntax there');
  });

  it('reports an unclosed [ on line 4 at the bracket, not at the end of the file', async () => {
    const directory = await projectWith({
      'cairn.config.yaml':
        'storage:\n  use: memory\nexporters:\n  [ {use: dot}\nproject:\n  name: a\n',
    });
    const error = await rejection(load(directory));
    expect(error.code).toBe('INVALID_CONFIG');
    expect(error.message).toBe(
      '[cairn] [config] cairn.config.yaml:4:3: "[" here is not closed (the parser gave up at 5:1): end the list with "]", and indent every line inside it more than the key it belongs to. Fix the YAML syntax there.',
    );
    expect(error.details).toMatchObject({
      issues: [{ line: 4, column: 3, code: 'BAD_INDENT', noticedAt: { line: 5, column: 1 } }],
    });
  });

  it.each([
    [
      'a flow mapping',
      'storage:\n  use: memory\nretry: { maxAttempts: 3\n',
      '3:8: "{" here',
      'end the mapping with "}"',
    ],
    [
      'a list at the top level',
      '[storage, backup\n',
      '1:1: "[" here',
      'end the list with "]". Fix',
    ],
    [
      'a single-quoted string',
      "storage:\n  use: 'memory\n",
      "2:8: Missing closing 'quote",
      "End it with ' (write '' for",
    ],
  ])('reports %s left open where it opens', async (_case, content, position, advice) => {
    const directory = await projectWith({ 'cairn.config.yaml': content });
    const error = await rejection(load(directory));
    expect(error.message).toContain(`cairn.config.yaml:${position}`);
    expect(error.message).toContain(advice);
  });

  it('reports nested unclosed lists each at its own bracket', async () => {
    const directory = await projectWith({
      'cairn.config.yaml': 'storage:\n  use: memory\n  options: [a, [b, c\n',
    });
    const error = await rejection(load(directory));
    expect(error.details.issues).toEqual([
      expect.objectContaining({ line: 3, column: 16, noticedAt: { line: 4, column: 1 } }),
      expect.objectContaining({ line: 3, column: 12, noticedAt: { line: 4, column: 1 } }),
    ]);
  });

  it('reports every syntax error when there are several', async () => {
    const directory = await projectWith({
      'cairn.config.yaml': 'storage: memory\n  bad: indent\n',
    });
    const error = await rejection(load(directory));
    expect(error.message).toContain('cairn.config.yaml is not valid YAML:');
    expect(error.message).toContain('  - cairn.config.yaml:1:10: Nested mappings are not allowed');
    expect(error.message).toContain('Implicit keys need to be on a single line');
  });

  it('reports a duplicate key at the second occurrence', async () => {
    const directory = await projectWith({
      'cairn.config.yaml': 'storage:\n  use: memory\nproject:\n  name: a\nstorage:\n  use: fs\n',
    });
    const error = await rejection(load(directory));
    expect(error.code).toBe('INVALID_CONFIG');
    expect(error.message).toContain('cairn.config.yaml:5:1: this key appears twice');
  });

  it('reports a second YAML document', async () => {
    const directory = await projectWith({
      'cairn.config.yaml': 'storage:\n  use: memory\n---\nproject:\n  name: a\n',
    });
    const error = await rejection(load(directory));
    expect(error.message).toContain(
      'cairn.config.yaml:3:1: the file holds more than one YAML document',
    );
  });

  it.each([
    ['an empty file', ''],
    ['a file of comments only', '# storage:\n#   use: fs\n'],
  ])('says %s is empty and shows an example', async (_name, content) => {
    const directory = await projectWith({ 'cairn.config.yaml': content });
    const error = await rejection(load(directory));
    expect(error.code).toBe('INVALID_CONFIG');
    expect(error.message).toContain('cairn.config.yaml is empty. Pick at least a storage');
    expect(error.message).toContain('storage:\n  use: fs');
  });

  it('refuses a top level that is a list', async () => {
    const directory = await projectWith({ 'cairn.config.yaml': '- storage\n- backup\n' });
    const error = await rejection(load(directory));
    expect(error.message).toContain('cairn.config.yaml:1:1: the top level must be a mapping');
    expect(error.message).toContain('not a list');
  });

  it('reports an alias to an anchor that does not exist', async () => {
    const directory = await projectWith({ 'cairn.config.yaml': 'storage: *missing\n' });
    const error = await rejection(load(directory));
    expect(error.code).toBe('INVALID_CONFIG');
    expect(error.message).toContain('cairn.config.yaml could not be read as data');
    expect(error.message).toContain('*name must refer to an earlier &name');
  });
});
