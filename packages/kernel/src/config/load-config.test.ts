// biome-ignore-all lint/suspicious/noTemplateCurlyInString: these strings are config text whose ${…} Cairn interpolates, not JavaScript templates.
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { type CairnError, isCairnError } from '../errors/cairn-error.js';
import type { Logger } from '../logging/logger.js';
import { loadConfig } from './load-config.js';

const directories: string[] = [];

afterEach(async () => {
  await Promise.all(
    directories.splice(0).map((directory) => rm(directory, { recursive: true, force: true })),
  );
});

async function projectWith(files: Record<string, string>): Promise<string> {
  const directory = await mkdtemp(path.join(tmpdir(), 'cairn-load-config-'));
  directories.push(directory);
  for (const [name, content] of Object.entries(files)) {
    await mkdir(path.dirname(path.join(directory, name)), { recursive: true });
    await writeFile(path.join(directory, name), content);
  }
  return directory;
}

async function failure(promise: Promise<unknown>): Promise<CairnError> {
  try {
    await promise;
  } catch (error) {
    if (isCairnError(error)) return error;
    throw error;
  }
  throw new Error('expected the call to fail');
}

function load(projectDirectory: string, environment: Record<string, string> = {}) {
  return loadConfig({ projectDirectory, environment });
}

describe('loadConfig: finding the file', () => {
  it('says where it looked and shows a minimal config when there is none', async () => {
    const directory = await projectWith({});
    const error = await failure(load(directory));
    expect(error.code).toBe('NOT_FOUND');
    expect(error.message).toContain(`[cairn] [config] No cairn.config.yaml in ${directory}`);
    expect(error.message).toContain('cairn.config.yaml and cairn.config.yml');
    expect(error.message).toContain(`Create ${path.join(directory, 'cairn.config.yaml')}`);
    expect(error.message).toContain('storage:\n  use: fs');
  });

  it('reads cairn.config.yml when that is the one present', async () => {
    const directory = await projectWith({ 'cairn.config.yml': 'storage:\n  use: memory\n' });
    const { config, provenance } = await load(directory);
    expect(config.storage.use).toBe('memory');
    expect(provenance.file).toBe(path.join(directory, 'cairn.config.yml'));
    expect(provenance.displayName).toBe('cairn.config.yml');
  });

  it('refuses to guess when both .yaml and .yml exist', async () => {
    const directory = await projectWith({
      'cairn.config.yaml': 'storage:\n  use: memory\n',
      'cairn.config.yml': 'storage:\n  use: memory\n',
    });
    const error = await failure(load(directory));
    expect(error.code).toBe('INVALID_CONFIG');
    expect(error.message).toContain('Keep one and delete the other');
    expect(error.message).toContain(path.join(directory, 'cairn.config.yml'));
  });

  it('uses an explicit file relative to the project directory', async () => {
    const directory = await projectWith({ 'config/ci.yaml': 'storage:\n  use: memory\n' });
    const { provenance } = await loadConfig({
      projectDirectory: directory,
      file: 'config/ci.yaml',
    });
    expect(provenance.file).toBe(path.join(directory, 'config/ci.yaml'));
    expect(provenance.displayName).toBe(path.join('config', 'ci.yaml'));
  });

  it('names the missing explicit file', async () => {
    const directory = await projectWith({});
    const error = await failure(loadConfig({ projectDirectory: directory, file: 'nope.yaml' }));
    expect(error.code).toBe('NOT_FOUND');
    expect(error.message).toContain(
      `Config file ${path.join(directory, 'nope.yaml')} does not exist`,
    );
  });

  it('reports a config path that cannot be read as a file', async () => {
    const directory = await projectWith({});
    await mkdir(path.join(directory, 'cairn.config.yaml'));
    const error = await failure(load(directory));
    expect(error.code).toBe('INVALID_CONFIG');
    expect(error.message).toContain(
      `Could not read ${path.join(directory, 'cairn.config.yaml')} (EISDIR)`,
    );
    expect(error.cause).toBeDefined();
  });
});

describe('loadConfig: YAML problems', () => {
  it('reports a syntax error with file, line, column and the reason', async () => {
    const directory = await projectWith({
      'cairn.config.yaml': 'storage:\n  use: memory\n  options:\n    root: "x\n',
    });
    const error = await failure(load(directory));
    expect(error.code).toBe('INVALID_CONFIG');
    expect(error.message).toBe(
      '[cairn] [config] cairn.config.yaml:5:1: Missing closing "quote. Fix the YAML syntax there.',
    );
    expect(error.details).toMatchObject({ issues: [{ line: 5, column: 1, code: 'MISSING_CHAR' }] });
    expect(error.message).toContain('Fix the YAML syntax there');
  });

  it('reports every syntax error when there are several', async () => {
    const directory = await projectWith({
      'cairn.config.yaml': 'storage: memory\n  bad: indent\n',
    });
    const error = await failure(load(directory));
    expect(error.message).toContain('cairn.config.yaml is not valid YAML:');
    expect(error.message).toContain('  - cairn.config.yaml:1:10: Nested mappings are not allowed');
    expect(error.message).toContain('Implicit keys need to be on a single line');
  });

  it('reports a duplicate key at the second occurrence', async () => {
    const directory = await projectWith({
      'cairn.config.yaml': 'storage:\n  use: memory\nproject:\n  name: a\nstorage:\n  use: fs\n',
    });
    const error = await failure(load(directory));
    expect(error.code).toBe('INVALID_CONFIG');
    expect(error.message).toContain('cairn.config.yaml:5:1: this key appears twice');
  });

  it('reports a second YAML document', async () => {
    const directory = await projectWith({
      'cairn.config.yaml': 'storage:\n  use: memory\n---\nproject:\n  name: a\n',
    });
    const error = await failure(load(directory));
    expect(error.message).toContain(
      'cairn.config.yaml:3:1: the file holds more than one YAML document',
    );
  });

  it.each([
    ['an empty file', ''],
    ['a file of comments only', '# storage:\n#   use: fs\n'],
  ])('says %s is empty and shows an example', async (_name, content) => {
    const directory = await projectWith({ 'cairn.config.yaml': content });
    const error = await failure(load(directory));
    expect(error.code).toBe('INVALID_CONFIG');
    expect(error.message).toContain('cairn.config.yaml is empty. Pick at least a storage');
    expect(error.message).toContain('storage:\n  use: fs');
  });

  it('refuses a top level that is a list', async () => {
    const directory = await projectWith({ 'cairn.config.yaml': '- storage\n- backup\n' });
    const error = await failure(load(directory));
    expect(error.message).toContain('cairn.config.yaml:1:1: the top level must be a mapping');
    expect(error.message).toContain('not a list');
  });

  it('reports an alias to an anchor that does not exist', async () => {
    const directory = await projectWith({ 'cairn.config.yaml': 'storage: *missing\n' });
    const error = await failure(load(directory));
    expect(error.code).toBe('INVALID_CONFIG');
    expect(error.message).toContain('cairn.config.yaml could not be read as data');
    expect(error.message).toContain('*name must refer to an earlier &name');
  });
});

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
    const error = await failure(load(directory));
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
    const error = await failure(load(directory));
    expect(error.message).toContain(
      'cairn.config.yaml:3:1 zzz: unknown key. Known keys: storage, backup',
    );
    expect(error.message).not.toContain('did you mean');
  });

  it('suggests the closest key inside nested sections too', async () => {
    const directory = await projectWith({
      'cairn.config.yaml': 'storage:\n  use: memory\nretry:\n  maxAtempts: 3\n',
    });
    const error = await failure(load(directory));
    expect(error.message).toContain(
      'cairn.config.yaml:4:3 retry.maxAtempts: unknown key; did you mean "maxAttempts"?',
    );
  });

  it('says storage is required when it is missing', async () => {
    const directory = await projectWith({ 'cairn.config.yaml': 'project:\n  name: demo\n' });
    const error = await failure(load(directory));
    expect(error.message).toContain(
      'cairn.config.yaml:1:1 storage: required key is missing (expected object)',
    );
    expect(error.message).toContain('Fix it in cairn.config.yaml.');
  });

  it('says an empty storage: block is empty', async () => {
    const directory = await projectWith({
      'cairn.config.yaml': 'storage:\nproject:\n  name: demo\n',
    });
    const error = await failure(load(directory));
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
    const error = await failure(load(directory));
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
    const error = await failure(load(directory));
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
    const error = await failure(load(directory));
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
    const error = await failure(load(directory));
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

describe('loadConfig: logging', () => {
  it('logs YAML warnings with their position and the load at debug level, without values', async () => {
    const entries: { level: string; fields: unknown; message?: string }[] = [];
    const capture = (level: string) => (fields: unknown, message?: string) => {
      entries.push({ level, fields, ...(message === undefined ? {} : { message }) });
    };
    const logger: Logger = {
      debug: capture('debug'),
      info: capture('info'),
      warn: capture('warn'),
      error: capture('error'),
      child: () => logger,
    };
    const directory = await projectWith({
      // An unknown %TAG-less directive is a warning, not an error, in the yaml library.
      'cairn.config.yaml': '%FOO bar\n---\nstorage:\n  use: ${PLUGIN}\n',
    });
    await loadConfig({ projectDirectory: directory, environment: { PLUGIN: 'memory' }, logger });
    expect(entries.find((entry) => entry.level === 'warn')).toMatchObject({
      fields: { line: 1, column: 1 },
    });
    expect(entries.find((entry) => entry.level === 'debug')).toMatchObject({
      fields: { interpolated: 1 },
      message: 'cairn config loaded',
    });
    expect(JSON.stringify(entries)).not.toContain('memory');
  });
});
