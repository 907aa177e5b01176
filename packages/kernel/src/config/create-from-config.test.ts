import { text } from 'node:stream/consumers';
import { describe, expect, it } from 'vitest';
import type { Logger } from '../logging/logger.js';
import { configProjects } from '../testing/config-project.js';
import { localPluginFiles, markers } from '../testing/plugin-modules.js';
import { rejection } from '../testing/rejection.js';
import { createFromConfig } from './create-from-config.js';

const { projectWith, build } = configProjects('cairn-create-from-config');

describe('createFromConfig: building', () => {
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
    const error = await rejection(
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
    const error = await rejection(build(directory));
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
      localPluginFiles,
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
});
