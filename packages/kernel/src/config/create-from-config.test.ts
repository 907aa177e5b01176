import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, rm, symlink, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { text } from 'node:stream/consumers';
import { afterEach, describe, expect, it } from 'vitest';
import { type CairnError, isCairnError } from '../errors/cairn-error.js';
import type { Logger } from '../logging/logger.js';
import { createFromConfig } from './create-from-config.js';
import { loadConfig } from './load-config.js';

const directories: string[] = [];
const zodDirectory = path.dirname(createRequire(import.meta.url).resolve('zod/package.json'));

afterEach(async () => {
  await Promise.all(
    directories.splice(0).map((directory) => rm(directory, { recursive: true, force: true })),
  );
});

/**
 * A local plugin module that leaves a marker file in the project when it is created and when
 * it is closed, so tests see what really happened on disk.
 */
function localPlugin(kind: string, name: string): string {
  return `import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';

export const plugin = {
  kind: '${kind}',
  name: '${name}',
  optionsSchema: z.object({
    label: z.string(),
    failWith: z.enum(['error', 'cairn-error', 'nothing']).default('nothing'),
    closeFails: z.boolean().default(false),
  }).strict(),
  create(options, context) {
    if (options.failWith === 'error') throw new Error('disk is read-only');
    if (options.failWith === 'cairn-error') {
      const error = new Error('[cairn] [${name}] bucket unreachable');
      error.code = 'TRANSIENT_IO';
      error.retryable = true;
      error[Symbol.for('@cairn/kernel/error')] = true;
      throw error;
    }
    const marker = (what) => writeFileSync(path.join(context.projectDirectory, what + '-' + options.label), '');
    marker('created');
    context.logger.info({ label: options.label }, 'created');
    const instance = {
      name: '${name}',
      label: options.label,
      capabilities: { conditionalWrites: false, rangedReads: false, sha256: false, atomicPut: true },
      async close() {
        marker('closed');
        if (options.closeFails) throw new Error('close failed for ' + options.label);
      },
    };
    if ('${kind}' === 'storage') {
      for (const method of ['put', 'get', 'head', 'list', 'listPage', 'delete']) {
        instance[method] = () => { throw new Error('not used'); };
      }
    }
    return instance;
  },
};
`;
}

async function projectWith(config: string, files: Record<string, string> = {}): Promise<string> {
  const directory = await mkdtemp(path.join(tmpdir(), 'cairn-create-from-config-'));
  directories.push(directory);
  await mkdir(path.join(directory, 'node_modules'), { recursive: true });
  await symlink(zodDirectory, path.join(directory, 'node_modules', 'zod'), 'dir');
  await writeFile(path.join(directory, 'cairn.config.yaml'), config);
  for (const [name, content] of Object.entries(files)) {
    await mkdir(path.dirname(path.join(directory, name)), { recursive: true });
    await writeFile(path.join(directory, name), content);
  }
  return directory;
}

async function markers(directory: string): Promise<string[]> {
  return (await readdir(directory)).filter((name) => /^(created|closed)-/.test(name)).sort();
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

async function build(directory: string, logger?: Logger) {
  const loaded = await loadConfig({ projectDirectory: directory, environment: {} });
  return createFromConfig(loaded, { projectDirectory: directory, ...(logger ? { logger } : {}) });
}

const pluginFiles = {
  'plugins/storage.js': localPlugin('storage', 'local-storage'),
  'plugins/source.js': localPlugin('metadata-source', 'local-source'),
  'plugins/exporter.js': localPlugin('lineage-exporter', 'local-exporter'),
};

describe('createFromConfig', () => {
  it('builds use: memory end to end: load, create, put, get', async () => {
    const directory = await projectWith('storage:\n  use: memory\n');
    const plugins = await build(directory);
    expect(plugins.storage).toBe(plugins.primary);
    expect(plugins.backup).toBeUndefined();
    expect(plugins.metadataSources).toEqual([]);
    expect(plugins.exporters).toEqual([]);
    await plugins.storage.put('runs/1/state.json', '{"step":3}');
    const { body, info } = await plugins.storage.get('runs/1/state.json');
    expect(await text(body)).toBe('{"step":3}');
    expect(info.size).toBe(10);
    await plugins.close();
  });

  it('accepts a config written in code and fills in its defaults', async () => {
    const directory = await projectWith('');
    const plugins = await createFromConfig(
      { storage: { use: 'memory' } },
      { projectDirectory: directory },
    );
    await plugins.storage.put('a', 'b');
    expect(await plugins.storage.head('a')).toMatchObject({ size: 1 });
  });

  it('validates a config written in code', async () => {
    const directory = await projectWith('');
    const error = await failure(
      createFromConfig({ storage: { use: 'memory' }, storge: {} } as never, {
        projectDirectory: directory,
      }),
    );
    expect(error.code).toBe('INVALID_CONFIG');
    expect(error.message).toContain(
      '(config given in code) storge: unknown key; did you mean "storage"?',
    );
  });

  it('refuses an unknown option of the strict memory storage, at its line', async () => {
    const directory = await projectWith('storage:\n  use: memory\n  options:\n    root: .cairn\n');
    const error = await failure(build(directory));
    expect(error.code).toBe('INVALID_OPTIONS');
    expect(error.message).toBe(
      '[cairn] [config] cairn.config.yaml:4:5 storage.options.root: unknown option: none are accepted here (options of storage plugin "memory"). Fix it in cairn.config.yaml; the plugin\'s README lists its options.',
    );
  });

  it('builds local plugins of every kind in config order, with the project directory and a logger', async () => {
    const directory = await projectWith(
      [
        'storage:',
        '  use: ./plugins/storage.js',
        '  options: { label: primary }',
        'metadataSources:',
        '  - use: ./plugins/source.js',
        '    options: { label: source-a }',
        '  - use: ./plugins/source.js',
        '    options: { label: source-b }',
        'exporters:',
        '  - use: ./plugins/exporter.js',
        '    options: { label: exporter }',
        '',
      ].join('\n'),
      pluginFiles,
    );
    const children: unknown[] = [];
    const logged: unknown[] = [];
    const record = (fields: unknown, message?: string) => {
      logged.push({ fields, message });
    };
    const logger: Logger = {
      debug: record,
      info: record,
      warn: record,
      error: record,
      child: (bindings) => {
        children.push(bindings);
        return logger;
      },
    };
    const plugins = await build(directory, logger);
    expect(plugins.primary).toMatchObject({ name: 'local-storage', label: 'primary' });
    expect(plugins.metadataSources).toMatchObject([{ label: 'source-a' }, { label: 'source-b' }]);
    expect(plugins.exporters).toMatchObject([{ label: 'exporter' }]);
    expect(children).toEqual([
      { plugin: 'local-storage' },
      { plugin: 'local-source' },
      { plugin: 'local-source' },
      { plugin: 'local-exporter' },
    ]);
    expect(logged).toContainEqual({ fields: { label: 'source-b' }, message: 'created' });
    expect(await markers(directory)).toEqual([
      'created-exporter',
      'created-primary',
      'created-source-a',
      'created-source-b',
    ]);
    await plugins.close();
    expect((await markers(directory)).filter((name) => name.startsWith('closed-'))).toEqual([
      'closed-exporter',
      'closed-primary',
      'closed-source-a',
      'closed-source-b',
    ]);
  });

  it('mirrors storage and backup, keeping both, and reads from the backup when the primary lost an object', async () => {
    const directory = await projectWith('storage:\n  use: memory\nbackup:\n  use: memory\n');
    const plugins = await build(directory);
    expect(plugins.backup).toBeDefined();
    expect(plugins.storage).not.toBe(plugins.primary);
    expect(plugins.storage.name).toBe('mirror');
    await plugins.storage.put('checkpoints/1', 'weights');
    expect(await plugins.backup?.head('checkpoints/1')).toMatchObject({ size: 7 });
    await plugins.primary.delete('checkpoints/1');
    const { body } = await plugins.storage.get('checkpoints/1');
    expect(await text(body)).toBe('weights');
    await plugins.close();
  });

  it('validates every plugin before creating any', async () => {
    const directory = await projectWith(
      [
        'storage:',
        '  use: ./plugins/storage.js',
        '  options: { label: primary }',
        'exporters:',
        '  - use: ./plugins/exporter.js',
        '    options: { labl: exporter }',
        '',
      ].join('\n'),
      pluginFiles,
    );
    const error = await failure(build(directory));
    expect(error.code).toBe('INVALID_OPTIONS');
    expect(error.message).toContain(
      'cairn.config.yaml: 2 problems in options of lineage exporter plugin "local-exporter"',
    );
    expect(error.message).toContain(
      'cairn.config.yaml:6:16 exporters[0].options.labl: unknown option; did you mean "label"?',
    );
    expect(await markers(directory)).toEqual([]);
  });

  it('wraps a failing factory with its config location and closes what was already built', async () => {
    const directory = await projectWith(
      [
        'storage:',
        '  use: ./plugins/storage.js',
        '  options: { label: primary }',
        'metadataSources:',
        '  - use: ./plugins/source.js',
        '    options: { label: broken, failWith: error }',
        '',
      ].join('\n'),
      pluginFiles,
    );
    const error = await failure(build(directory));
    expect(error.code).toBe('INVALID_OPTIONS');
    expect(error.retryable).toBe(false);
    expect(error.message).toBe(
      '[cairn] [config] cairn.config.yaml:5:5 metadataSources[0]: metadata source plugin "local-source" could not be created: disk is read-only. Check its options.',
    );
    expect((error.cause as Error).message).toBe('disk is read-only');
    expect(await markers(directory)).toEqual(['closed-primary', 'created-primary']);
  });

  it('keeps the code and retryability of a Cairn error thrown by a factory', async () => {
    const directory = await projectWith(
      'storage:\n  use: ./plugins/storage.js\n  options: { label: primary, failWith: cairn-error }\n',
      pluginFiles,
    );
    const error = await failure(build(directory));
    expect(error.code).toBe('TRANSIENT_IO');
    expect(error.retryable).toBe(true);
    expect(error.message).toContain(
      'cairn.config.yaml:2:3 storage: storage plugin "local-storage" could not be created: [cairn] [local-storage] bucket unreachable.',
    );
    expect(error.message).not.toContain('Check its options');
  });

  it('refuses a storage plugin whose factory builds something that is not a Storage', async () => {
    const directory = await projectWith('storage:\n  use: ./plugins/not-storage.js\n', {
      'plugins/not-storage.js':
        "import { writeFileSync } from 'node:fs';\n" +
        "export const plugin = { kind: 'storage', name: 'hollow', optionsSchema: { safeParse: (value) => ({ success: true, data: value }) },\n" +
        "  create: (_options, context) => ({ put() {}, close() { writeFileSync(context.projectDirectory + '/closed-hollow', ''); } }) };\n",
    });
    const error = await failure(build(directory));
    expect(error.code).toBe('INVALID_CONFIG');
    expect(error.message).toContain(
      'cairn.config.yaml:2:8 storage.use: storage plugin "hollow" built something that is not a Storage (missing name, get, head, list, listPage, delete, capabilities)',
    );
    expect(await markers(directory)).toEqual(['closed-hollow']);
  });

  it('reports plugins that fail to close, after closing all the others', async () => {
    const directory = await projectWith(
      [
        'storage:',
        '  use: ./plugins/storage.js',
        '  options: { label: primary, closeFails: true }',
        'exporters:',
        '  - use: ./plugins/exporter.js',
        '    options: { label: exporter, closeFails: true }',
        '',
      ].join('\n'),
      pluginFiles,
    );
    const plugins = await build(directory);
    const error = await failure(plugins.close());
    expect(error.code).toBe('PERMANENT_IO');
    expect(error.message).toContain('2 of 2 plugins failed to close');
    expect((error.cause as AggregateError).errors.map((cause: Error) => cause.message)).toEqual([
      'close failed for exporter',
      'close failed for primary',
    ]);
    expect(existsSync(path.join(directory, 'closed-primary'))).toBe(true);
  });

  it('passes on the one close failure as the cause', async () => {
    const directory = await projectWith(
      'storage:\n  use: ./plugins/storage.js\n  options: { label: primary, closeFails: true }\n',
      pluginFiles,
    );
    const plugins = await build(directory);
    const error = await failure(plugins.close());
    expect(error.message).toContain('1 of 1 plugins failed to close');
    expect((error.cause as Error).message).toBe('close failed for primary');
  });

  it('still reports the factory error when closing the already built plugins fails too', async () => {
    const warnings: unknown[] = [];
    const logger: Logger = {
      debug: () => {},
      info: () => {},
      warn: (...entry: unknown[]) => {
        warnings.push(entry);
      },
      error: () => {},
      child: () => logger,
    };
    const directory = await projectWith(
      [
        'storage:',
        '  use: ./plugins/storage.js',
        '  options: { label: primary, closeFails: true }',
        'exporters:',
        '  - use: ./plugins/exporter.js',
        '    options: { label: exporter, failWith: error }',
        '',
      ].join('\n'),
      pluginFiles,
    );
    const error = await failure(build(directory, logger));
    expect(error.message).toContain(
      'exporters[0]: lineage exporter plugin "local-exporter" could not be created',
    );
    expect(warnings).toEqual([
      [
        { plugin: 'local-exporter' },
        'closing the plugins already started failed after a failed start',
      ],
    ]);
  });
});
