import { describe, expect, it } from 'vitest';
import { createRetryPolicy } from '../retry/retry-policy.js';
import { rejection } from '../testing/rejection.js';
import { temporaryProjects } from '../testing/temporary-project.js';
import { loadConfig } from './load-config.js';

const projectWith = temporaryProjects('cairn-load-config');

function load(projectDirectory: string, environment: Record<string, string> = {}) {
  return loadConfig({ projectDirectory, environment });
}

describe('loadConfig: schema', () => {
  it('returns the validated config with defaults and the location of every path', async () => {
    const directory = await projectWith({
      'cairn.config.yaml': [
        'project:',
        '  name: demo',
        'storage:',
        '  use: fs',
        '  options:',
        '    root: .cairn',
        'exporters:',
        '  - use: dot',
        'retry:',
        '  maxAttempts: 5',
        '  jitter: decorrelated',
        'logging: { level: debug, file: cairn.log }',
        '',
      ].join('\n'),
    });
    const { config, provenance } = await load(directory);
    expect(config).toEqual({
      project: { name: 'demo' },
      storage: { use: 'fs', options: { root: '.cairn' } },
      exporters: [{ use: 'dot', options: {} }],
      metadataSources: [],
      retry: { maxAttempts: 5, jitter: 'decorrelated' },
      logging: { level: 'debug', file: 'cairn.log' },
    });
    expect(provenance.locations.get('storage.use')).toEqual({
      line: 4,
      column: 8,
      key: { line: 4, column: 3 },
    });
    expect(provenance.locations.get('storage.options.root')).toMatchObject({ line: 6, column: 11 });
    expect(provenance.locations.get('exporters[0]')).toEqual({ line: 8, column: 5 });
    expect(provenance.locations.get('exporters[0].use')).toMatchObject({ line: 8, column: 10 });
    expect(provenance.locations.get('logging.file')).toMatchObject({ line: 12, column: 32 });
    expect(provenance.interpolatedPaths.size).toBe(0);
  });

  it('treats an empty options: block as no options', async () => {
    const directory = await projectWith({
      'cairn.config.yaml': 'storage:\n  use: memory\n  options:\n',
    });
    const { config } = await load(directory);
    expect(config.storage.options).toEqual({});
  });

  it('names an unknown top-level key, suggests the closest known one and lists them all', async () => {
    const directory = await projectWith({
      'cairn.config.yaml': 'storage:\n  use: memory\nmetadataSource:\n  - use: wandb\n',
    });
    const error = await rejection(load(directory));
    expect(error.code).toBe('INVALID_CONFIG');
    expect(error.message).toContain(
      'cairn.config.yaml:3:1 metadataSource: unknown key; did you mean "metadataSources"? Known keys: storage, backup, metadataSources, exporters, retry, logging, project',
    );
    expect(error.details.issues).toEqual([
      expect.objectContaining({
        yamlPath: 'metadataSource',
        line: 3,
        column: 1,
        code: 'unrecognized_keys',
      }),
    ]);
  });

  it('lists the known keys without a suggestion when nothing is close', async () => {
    const directory = await projectWith({
      'cairn.config.yaml': 'storage:\n  use: memory\nzzz: 1\n',
    });
    const error = await rejection(load(directory));
    expect(error.message).toContain(
      'cairn.config.yaml:3:1 zzz: unknown key. Known keys: storage, backup',
    );
    expect(error.message).not.toContain('did you mean');
  });

  it('suggests the closest key inside nested sections too', async () => {
    const directory = await projectWith({
      'cairn.config.yaml': 'storage:\n  use: memory\nretry:\n  maxAtempts: 3\n',
    });
    const error = await rejection(load(directory));
    expect(error.message).toContain(
      'cairn.config.yaml:4:3 retry.maxAtempts: unknown key; did you mean "maxAttempts"?',
    );
  });

  it('says storage is required when it is missing', async () => {
    const directory = await projectWith({ 'cairn.config.yaml': 'project:\n  name: demo\n' });
    const error = await rejection(load(directory));
    expect(error.message).toContain(
      'cairn.config.yaml:1:1 storage: required key is missing (expected object)',
    );
    expect(error.message).toContain('Fix it in cairn.config.yaml.');
  });

  it('says an empty storage: block is empty', async () => {
    const directory = await projectWith({
      'cairn.config.yaml': 'storage:\nproject:\n  name: demo\n',
    });
    const error = await rejection(load(directory));
    expect(error.message).toContain('cairn.config.yaml:1:1 storage: is empty (expected object)');
  });

  it('lists every schema problem with its line and YAML path', async () => {
    const directory = await projectWith({
      'cairn.config.yaml': [
        'storage:',
        '  use: memory',
        'exporters:',
        '  - use: dot',
        '  - options: {}',
        'retry:',
        '  maxAttempts: "three"',
        '  jitter: sometimes',
        '',
      ].join('\n'),
    });
    const error = await rejection(load(directory));
    expect(error.message).toContain('cairn.config.yaml: 3 problems in the config:');
    expect(error.message).toContain(
      '  - cairn.config.yaml:5:5 exporters[1].use: required key is missing (expected string)',
    );
    expect(error.message).toContain(
      '  - cairn.config.yaml:7:16 retry.maxAttempts: Invalid input: expected number, received string',
    );
    expect(error.message).toContain(
      '  - cairn.config.yaml:8:11 retry.jitter: Invalid option: expected one of "full"|"none"|"decorrelated"',
    );
    expect(error.message).toContain('Fix them in cairn.config.yaml.');
  });
});

describe('loadConfig: the retry block follows the retry engine’s rules', () => {
  it('refuses retry: {initialDelayMs: 500, maxDelayMs: 100} at the line and YAML path', async () => {
    const directory = await projectWith({
      'cairn.config.yaml':
        'storage:\n  use: memory\nretry: {initialDelayMs: 500, maxDelayMs: 100}\n',
    });
    const error = await rejection(load(directory));
    expect(error.code).toBe('INVALID_CONFIG');
    expect(error.message).toBe(
      '[cairn] [config] cairn.config.yaml:3:42 retry.maxDelayMs: must be at least initialDelayMs (500) (the config). Fix it in cairn.config.yaml.',
    );
    expect(error.details.issues).toEqual([
      {
        yamlPath: 'retry.maxDelayMs',
        line: 3,
        column: 42,
        code: 'custom',
        message: 'must be at least initialDelayMs (500)',
      },
    ]);
  });

  it('compares a delay left out with the engine’s default, on the line of the one given', async () => {
    const directory = await projectWith({
      'cairn.config.yaml': 'storage:\n  use: memory\nretry:\n  initialDelayMs: 40000\n',
    });
    const error = await rejection(load(directory));
    expect(error.message).toContain(
      'cairn.config.yaml:4:19 retry.initialDelayMs: must be at most maxDelayMs (30000, its default); set maxDelayMs too',
    );
  });

  it('accepts maxRetryAfterMs, keeps only what was written, and the result builds a policy', async () => {
    const directory = await projectWith({
      'cairn.config.yaml':
        'storage:\n  use: memory\nretry:\n  maxRetryAfterMs: 60000\n  initialDelayMs: 100\n',
    });
    const { config } = await load(directory);
    expect(config.retry).toEqual({ maxRetryAfterMs: 60_000, initialDelayMs: 100 });
    const policy = createRetryPolicy(config.retry);
    expect(policy).toMatchObject({ maxRetryAfterMs: 60_000, initialDelayMs: 100, maxAttempts: 5 });
  });

  it('refuses a negative maxRetryAfterMs', async () => {
    const directory = await projectWith({
      'cairn.config.yaml': 'storage:\n  use: memory\nretry:\n  maxRetryAfterMs: -1\n',
    });
    const error = await rejection(load(directory));
    expect(error.message).toContain('cairn.config.yaml:4:20 retry.maxRetryAfterMs: Too small');
  });
});
