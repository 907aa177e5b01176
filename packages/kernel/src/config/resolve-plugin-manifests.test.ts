import { describe, expect, it } from 'vitest';
import type { Logger } from '../logging/logger.js';
import { manifestSource, packageFiles, provenanceOf } from '../testing/plugin-modules.js';
import { rejection } from '../testing/rejection.js';
import { temporaryProjects } from '../testing/temporary-project.js';
import { resolvePlugin } from './resolve-plugin.js';

const projectWith = temporaryProjects('cairn-resolve-plugin', { linkZod: true });

describe('resolvePlugin: manifests and kinds', () => {
  it('reports a module without a plugin export and lists what it does export', async () => {
    const directory = await projectWith({
      'plugins/helpers.js': 'export const helper = 1;\nexport default {};\n',
    });
    const error = await rejection(
      resolvePlugin(
        { use: './plugins/helpers.js' },
        { kind: 'storage', projectDirectory: directory, yamlPath: 'storage' },
      ),
    );
    expect(error.code).toBe('PLUGIN_NOT_FOUND');
    expect(error.message).toContain('does not export `plugin` (its exports: default, helper)');
    expect(error.message).toContain('export const plugin = definePlugin(');
  });

  it.each([
    ['not an object', 'export const plugin = 42;', 'it is number, not an object'],
    [
      'an unknown kind',
      "export const plugin = { kind: 'cache', name: 'x' };",
      '"kind" must be one of',
    ],
    [
      'no options schema',
      "export const plugin = { kind: 'storage', name: 'x', create() {} };",
      '"optionsSchema" must be a zod schema',
    ],
    [
      'no create',
      "export const plugin = { kind: 'storage', name: 'x', optionsSchema: { safeParse() {} } };",
      '"create" must be a function',
    ],
    [
      'no name',
      "export const plugin = { kind: 'storage', name: '' };",
      '"name" must be a non-empty string',
    ],
  ])('reports a manifest with %s', async (_case, source, expected) => {
    const directory = await projectWith({ 'plugins/bad.js': `${source}\n` });
    const error = await rejection(
      resolvePlugin(
        { use: './plugins/bad.js' },
        { kind: 'storage', projectDirectory: directory, yamlPath: 'storage' },
      ),
    );
    expect(error.code).toBe('PLUGIN_NOT_FOUND');
    expect(error.message).toContain('does not export a valid plugin manifest: ');
    expect(error.message).toContain(expected);
  });

  it('refuses a storage plugin under metadataSources and says where it belongs', async () => {
    const directory = await projectWith(
      packageFiles('my-plugin', manifestSource('storage', 'my-plugin')),
    );
    const provenance = await provenanceOf(
      directory,
      'storage:\n  use: memory\nmetadataSources:\n  - use: my-plugin\n',
    );
    const error = await rejection(
      resolvePlugin(
        { use: 'my-plugin' },
        {
          kind: 'metadata-source',
          projectDirectory: directory,
          yamlPath: 'metadataSources[0]',
          provenance,
        },
      ),
    );
    expect(error.code).toBe('INVALID_CONFIG');
    expect(error.message).toBe(
      '[cairn] [config] cairn.config.yaml:4:10 metadataSources[0].use: plugin package "my-plugin" is a storage plugin, but metadataSources[0] needs a metadata source plugin. Move it under storage: or backup:, or pick a metadata source plugin here (built-in: wandb).',
    );
  });

  it('refuses the built-in memory storage as an exporter', async () => {
    const directory = await projectWith({});
    const error = await rejection(
      resolvePlugin(
        { use: 'memory' },
        { kind: 'lineage-exporter', projectDirectory: directory, yamlPath: 'exporters[0]' },
      ),
    );
    expect(error.code).toBe('INVALID_CONFIG');
    expect(error.message).toContain(
      'built-in plugin "memory" is a storage plugin, but exporters[0] needs a lineage exporter plugin',
    );
    expect(error.message).toContain('(built-in: dot, mermaid, openlineage)');
  });

  it('logs which plugin it resolved at debug level', async () => {
    const entries: unknown[] = [];
    const record = (fields: unknown, message?: string) => {
      entries.push({ fields, message });
    };
    const logger: Logger = {
      debug: record,
      info: record,
      warn: record,
      error: record,
      child: () => logger,
    };
    const directory = await projectWith({});
    await resolvePlugin(
      { use: 'memory' },
      { kind: 'storage', projectDirectory: directory, yamlPath: 'backup', logger },
    );
    expect(entries).toEqual([
      {
        fields: { use: 'memory', kind: 'storage', name: 'memory', yamlPath: 'backup' },
        message: 'plugin resolved',
      },
    ]);
  });
});
