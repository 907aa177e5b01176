import { existsSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Logger } from '../logging/logger.js';
import { configProjects } from '../testing/config-project.js';
import { localPluginFiles, markers } from '../testing/plugin-modules.js';
import { rejection } from '../testing/rejection.js';

const { projectWith, build } = configProjects('cairn-create-from-config');

describe('createFromConfig: failures', () => {
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
      localPluginFiles,
    );
    const error = await rejection(build(directory));
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
      localPluginFiles,
    );
    const error = await rejection(build(directory));
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
      localPluginFiles,
    );
    const error = await rejection(build(directory));
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
    const error = await rejection(build(directory));
    expect(error.code).toBe('INVALID_CONFIG');
    expect(error.message).toContain(
      'cairn.config.yaml:2:8 storage.use: storage plugin "hollow" built something that is not a Storage (missing name, get, head, list, listPage, delete, capabilities)',
    );
    expect(await markers(directory)).toEqual(['closed-hollow']);
  });

  it('refuses a metadata source plugin that builds something without lookup', async () => {
    const directory = await projectWith(
      'storage:\n  use: ./plugins/storage.js\n  options: { label: primary }\nmetadataSources:\n  - use: ./plugins/hollow-source.js\n',
      {
        ...localPluginFiles,
        'plugins/hollow-source.js':
          "export const plugin = { kind: 'metadata-source', name: 'hollow-source', optionsSchema: { safeParse: (value) => ({ success: true, data: value }) },\n" +
          "  create: () => ({ name: 'hollow-source' }) };\n",
      },
    );
    const error = await rejection(build(directory));
    expect(error.code).toBe('INVALID_CONFIG');
    expect(error.message).toContain(
      'cairn.config.yaml:5:10 metadataSources[0].use: metadata source plugin "hollow-source" built something that is not a metadata source (expected { name, lookup(subject) })',
    );
    expect(await markers(directory)).toEqual(['closed-primary', 'created-primary']);
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
      localPluginFiles,
    );
    const plugins = await build(directory);
    const error = await rejection(plugins.close());
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
      localPluginFiles,
    );
    const plugins = await build(directory);
    const error = await rejection(plugins.close());
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
      localPluginFiles,
    );
    const error = await rejection(build(directory, logger));
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
