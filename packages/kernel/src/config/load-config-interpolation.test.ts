// biome-ignore-all lint/suspicious/noTemplateCurlyInString: these strings are config text whose ${…} Cairn interpolates, not JavaScript templates.
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { rejection } from '../testing/rejection.js';
import { temporaryProjects } from '../testing/temporary-project.js';
import { loadConfig } from './load-config.js';

const projectWith = temporaryProjects('cairn-load-config');

function load(projectDirectory: string, environment: Record<string, string> = {}) {
  return loadConfig({ projectDirectory, environment });
}

describe('loadConfig: environment interpolation', () => {
  it('replaces ${NAME}, uses ${NAME:-default} and keeps $${ literal', async () => {
    const directory = await projectWith({
      'cairn.config.yaml': [
        'storage:',
        '  use: ${STORAGE_PLUGIN}',
        '  options:',
        '    root: ${DATA_ROOT:-/var/cairn}/runs',
        '    bucket: "${BUCKET:-fallback}"',
        '    template: $${not_a_variable}',
        'project:',
        '  name: demo',
        '',
      ].join('\n'),
    });
    const { config, provenance } = await load(directory, {
      STORAGE_PLUGIN: 'memory',
      BUCKET: 'b1',
    });
    expect(config.storage).toEqual({
      use: 'memory',
      options: { root: '/var/cairn/runs', bucket: 'b1', template: '${not_a_variable}' },
    });
    expect([...provenance.interpolatedPaths].sort()).toEqual([
      'storage.options.bucket',
      'storage.options.root',
      'storage.use',
    ]);
    // What came from the environment, not the defaults written in the file.
    expect([...(provenance.environmentValues?.() ?? [])].sort()).toEqual(['b1', 'memory']);
  });

  it('uses the default when the variable is set but empty', async () => {
    const directory = await projectWith({
      'cairn.config.yaml': 'storage:\n  use: ${PLUGIN:-memory}\n',
    });
    const { config } = await load(directory, { PLUGIN: '' });
    expect(config.storage.use).toBe('memory');
  });

  it('reads process.env when no environment is given', async () => {
    const directory = await projectWith({
      'cairn.config.yaml': 'storage:\n  use: ${CAIRN_TEST_PLUGIN}\n',
    });
    process.env.CAIRN_TEST_PLUGIN = 'memory';
    try {
      const { config } = await loadConfig({ projectDirectory: directory });
      expect(config.storage.use).toBe('memory');
    } finally {
      delete process.env.CAIRN_TEST_PLUGIN;
    }
  });

  it('names a missing variable, the file, the line and the YAML path', async () => {
    const directory = await projectWith({
      'cairn.config.yaml':
        'storage:\n  use: s3\n  options:\n    accessKeyId: ${AWS_ACCESS_KEY_ID}\n',
    });
    const error = await rejection(load(directory));
    expect(error.code).toBe('INVALID_CONFIG');
    expect(error.message).toContain(
      'cairn.config.yaml:4:18 storage.options.accessKeyId: environment variable AWS_ACCESS_KEY_ID is not set',
    );
    expect(error.message).toContain('export AWS_ACCESS_KEY_ID=');
    expect(error.message).toContain('${AWS_ACCESS_KEY_ID:-default}');
    expect(error.details).toMatchObject({
      file: path.join(directory, 'cairn.config.yaml'),
      issues: [
        { yamlPath: 'storage.options.accessKeyId', line: 4, column: 18, code: 'interpolation' },
      ],
    });
  });

  it('lists every missing variable at once, including inside lists', async () => {
    const directory = await projectWith({
      'cairn.config.yaml': [
        'storage:',
        '  use: memory',
        'metadataSources:',
        '  - use: wandb',
        '    options:',
        '      apiKey: ${WANDB_API_KEY}',
        '      entity: ${WANDB_ENTITY}',
        '',
      ].join('\n'),
    });
    const error = await rejection(load(directory));
    expect(error.message).toContain('2 problems in environment interpolation');
    expect(error.message).toContain(
      'cairn.config.yaml:6:15 metadataSources[0].options.apiKey: environment variable WANDB_API_KEY',
    );
    expect(error.message).toContain(
      'cairn.config.yaml:7:15 metadataSources[0].options.entity: environment variable WANDB_ENTITY',
    );
  });

  it('reports an unclosed reference and an invalid variable name', async () => {
    const directory = await projectWith({
      'cairn.config.yaml':
        'storage:\n  use: memory\n  options:\n    a: ${OPEN\n    b: ${not-a-name}\n',
    });
    const error = await rejection(load(directory));
    expect(error.message).toContain('cairn.config.yaml:4:8 storage.options.a: "${" is not closed');
    expect(error.message).toContain(
      'cairn.config.yaml:5:8 storage.options.b: "${not-a-name…}" is not a valid reference',
    );
  });

  it('leaves keys and non-string values alone', async () => {
    const directory = await projectWith({
      'cairn.config.yaml': 'storage:\n  use: memory\n  options:\n    ${KEY}: 1\n    count: 3\n',
    });
    const { config } = await load(directory, { KEY: 'replaced' });
    expect(config.storage.options).toEqual({ '${KEY}': 1, count: 3 });
  });
});
