import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { type CairnError, isCairnError } from '../errors/cairn-error.js';
import type { Logger } from '../logging/logger.js';
import { memoryStoragePlugin } from '../storage/memory-storage-plugin.js';
import type { ConfigProvenance } from './config-provenance.js';
import { loadConfig } from './load-config.js';
import { resolvePlugin } from './resolve-plugin.js';

const directories: string[] = [];
const zodDirectory = path.dirname(createRequire(import.meta.url).resolve('zod/package.json'));

afterEach(async () => {
  await Promise.all(
    directories.splice(0).map((directory) => rm(directory, { recursive: true, force: true })),
  );
});

/** A project directory on disk with `zod` linked in, so fake plugins import the real thing. */
async function projectWith(files: Record<string, string>): Promise<string> {
  const directory = await mkdtemp(path.join(tmpdir(), 'cairn-resolve-plugin-'));
  directories.push(directory);
  await mkdir(path.join(directory, 'node_modules'), { recursive: true });
  await symlink(zodDirectory, path.join(directory, 'node_modules', 'zod'), 'dir');
  for (const [name, content] of Object.entries(files)) {
    await mkdir(path.dirname(path.join(directory, name)), { recursive: true });
    await writeFile(path.join(directory, name), content);
  }
  return directory;
}

function manifestSource(kind: string, name: string, exportName = 'plugin'): string {
  return [
    "import { z } from 'zod';",
    `export const ${exportName} = {`,
    `  kind: '${kind}',`,
    `  name: '${name}',`,
    '  optionsSchema: z.object({ root: z.string() }).strict(),',
    '  create: (options) => ({ options }),',
    '};',
    '',
  ].join('\n');
}

function packageFiles(
  name: string,
  source: string,
  exportsField: unknown = { '.': { default: './index.js' } },
): Record<string, string> {
  return {
    [`node_modules/${name}/package.json`]: JSON.stringify({
      name,
      version: '1.0.0',
      type: 'module',
      exports: exportsField,
    }),
    [`node_modules/${name}/index.js`]: source,
  };
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

/** Loads a real config so errors carry real line numbers. */
async function provenanceOf(directory: string, yaml: string): Promise<ConfigProvenance> {
  await writeFile(path.join(directory, 'cairn.config.yaml'), yaml);
  return (await loadConfig({ projectDirectory: directory, environment: {} })).provenance;
}

describe('resolvePlugin: built-in short names', () => {
  it('returns the kernel memory storage for use: memory', async () => {
    const directory = await projectWith({});
    const manifest = await resolvePlugin(
      { use: 'memory' },
      { kind: 'storage', projectDirectory: directory, yamlPath: 'storage' },
    );
    expect(manifest).toBe(memoryStoragePlugin);
  });

  it('names the file, line, YAML path and the exact pnpm add line for an uninstalled s3', async () => {
    const directory = await projectWith({});
    const provenance = await provenanceOf(directory, '# storage on S3\nstorage:\n  use: s3\n');
    const error = await failure(
      resolvePlugin(
        { use: 's3' },
        { kind: 'storage', projectDirectory: directory, yamlPath: 'storage', provenance },
      ),
    );
    expect(error.code).toBe('PLUGIN_NOT_FOUND');
    expect(error.message).toBe(
      `[cairn] [config] cairn.config.yaml:3:8 storage.use: plugin "s3" (package @cairn/storage-s3) is not installed in ${directory}. Install it: pnpm add @cairn/storage-s3`,
    );
    expect(error.details).toMatchObject({
      file: path.join(directory, 'cairn.config.yaml'),
      yamlPath: 'storage.use',
      line: 3,
      column: 8,
      package: '@cairn/storage-s3',
    });
  });

  it('loads fs from @cairn/storage-fs installed in the project', async () => {
    const directory = await projectWith(
      packageFiles('@cairn/storage-fs', manifestSource('storage', 'fs')),
    );
    const manifest = await resolvePlugin(
      { use: 'fs' },
      { kind: 'storage', projectDirectory: directory, yamlPath: 'storage' },
    );
    expect(manifest.name).toBe('fs');
  });

  it('takes each lineage exporter from its own export of @cairn/lineage-export', async () => {
    const source = [
      manifestSource('lineage-exporter', 'dot', 'dotPlugin'),
      manifestSource('lineage-exporter', 'mermaid', 'mermaidPlugin').replace(
        "import { z } from 'zod';\n",
        '',
      ),
    ].join('\n');
    const directory = await projectWith(packageFiles('@cairn/lineage-export', source));
    const options = {
      kind: 'lineage-exporter' as const,
      projectDirectory: directory,
      yamlPath: 'exporters[0]',
    };
    expect((await resolvePlugin({ use: 'dot' }, options)).name).toBe('dot');
    expect((await resolvePlugin({ use: 'mermaid' }, options)).name).toBe('mermaid');
    const error = await failure(resolvePlugin({ use: 'openlineage' }, options));
    expect(error.code).toBe('PLUGIN_NOT_FOUND');
    expect(error.message).toContain(
      'does not export `openLineagePlugin` (its exports: dotPlugin, mermaidPlugin)',
    );
  });
});

describe('resolvePlugin: packages from the project directory', () => {
  it('imports a package installed in the project and returns its manifest', async () => {
    const directory = await projectWith(
      packageFiles('my-plugin', manifestSource('storage', 'my-plugin')),
    );
    const manifest = await resolvePlugin(
      { use: 'my-plugin' },
      { kind: 'storage', projectDirectory: directory, yamlPath: 'storage' },
    );
    expect(manifest.name).toBe('my-plugin');
    expect(manifest.optionsSchema.safeParse({ root: 'x' }).success).toBe(true);
    expect(manifest.optionsSchema.safeParse({ root: 1 }).success).toBe(false);
  });

  it('imports a scoped package and an ESM-only package whose exports offer only import', async () => {
    const directory = await projectWith({
      ...packageFiles('@acme/cairn-storage', manifestSource('storage', 'acme')),
      ...packageFiles('esm-only-plugin', manifestSource('storage', 'esm-only'), {
        '.': { import: './index.js' },
      }),
    });
    const options = { kind: 'storage' as const, projectDirectory: directory, yamlPath: 'storage' };
    expect((await resolvePlugin({ use: '@acme/cairn-storage' }, options)).name).toBe('acme');
    expect((await resolvePlugin({ use: 'esm-only-plugin' }, options)).name).toBe('esm-only');
  });

  it('finds a package in a parent node_modules, as in a workspace whose apps share the root', async () => {
    const root = await projectWith(
      packageFiles('my-plugin', manifestSource('storage', 'my-plugin')),
    );
    const app = path.join(root, 'apps', 'pipeline');
    await mkdir(app, { recursive: true });
    const manifest = await resolvePlugin(
      { use: 'my-plugin' },
      { kind: 'storage', projectDirectory: app, yamlPath: 'storage' },
    );
    expect(manifest.name).toBe('my-plugin');
  });

  it('resolves from the project, not from the kernel: the kernel’s own yaml dependency is not found', async () => {
    const directory = await projectWith({});
    const error = await failure(
      resolvePlugin(
        { use: 'yaml' },
        { kind: 'storage', projectDirectory: directory, yamlPath: 'storage' },
      ),
    );
    expect(error.code).toBe('PLUGIN_NOT_FOUND');
    expect(error.message).toContain(
      `plugin package "yaml" is not installed in ${directory}. Install it: pnpm add yaml`,
    );
  });

  it('suggests a built-in when an unknown package name is close to one', async () => {
    const directory = await projectWith({});
    const provenance = await provenanceOf(directory, 'storage:\n  use: fss\n');
    const error = await failure(
      resolvePlugin(
        { use: 'fss' },
        { kind: 'storage', projectDirectory: directory, yamlPath: 'storage', provenance },
      ),
    );
    expect(error.message).toBe(
      `[cairn] [config] cairn.config.yaml:2:8 storage.use: plugin package "fss" is not installed in ${directory}. Install it: pnpm add fss (or did you mean the built-in "fs"?)`,
    );
  });

  it('installs the package, not the subpath, for a missing subpath specifier', async () => {
    const directory = await projectWith({});
    const error = await failure(
      resolvePlugin(
        { use: '@acme/tools/storage' },
        { kind: 'storage', projectDirectory: directory, yamlPath: 'storage' },
      ),
    );
    expect(error.message).toContain('Install it: pnpm add @acme/tools');
    expect(error.message).toContain('(config given in code) storage.use:');
  });

  it('says when an installed package has no entry file (not built)', async () => {
    const directory = await projectWith({
      'node_modules/unbuilt-plugin/package.json': JSON.stringify({
        name: 'unbuilt-plugin',
        type: 'module',
        exports: { '.': { types: './dist/index.d.ts', default: './dist/index.js' } },
      }),
    });
    const error = await failure(
      resolvePlugin(
        { use: 'unbuilt-plugin' },
        { kind: 'storage', projectDirectory: directory, yamlPath: 'storage' },
      ),
    );
    expect(error.code).toBe('PLUGIN_NOT_FOUND');
    expect(error.message).toContain(
      `is installed at ${path.join(directory, 'node_modules', 'unbuilt-plugin')}, but its entry file is missing. Build the package`,
    );
  });

  it('says when a package does not export the requested subpath', async () => {
    const directory = await projectWith(
      packageFiles('closed-plugin', manifestSource('storage', 'closed')),
    );
    const error = await failure(
      resolvePlugin(
        { use: 'closed-plugin/internal' },
        { kind: 'storage', projectDirectory: directory, yamlPath: 'storage' },
      ),
    );
    expect(error.code).toBe('PLUGIN_NOT_FOUND');
    expect(error.message).toContain(
      'offers no "import" or "default" entry for closed-plugin/internal',
    );
  });

  it('refuses a use: value that is no name, package or path, suggesting a built-in', async () => {
    const directory = await projectWith({});
    const error = await failure(
      resolvePlugin(
        { use: 'Memory Storage' },
        { kind: 'storage', projectDirectory: directory, yamlPath: 'storage' },
      ),
    );
    expect(error.code).toBe('INVALID_CONFIG');
    expect(error.message).toContain(
      '"Memory Storage" is neither a built-in plugin (memory, fs, s3, wandb, dot, mermaid, openlineage)',
    );
    const close = await failure(
      resolvePlugin(
        { use: 'Memroy' },
        { kind: 'storage', projectDirectory: directory, yamlPath: 'storage' },
      ),
    );
    expect(close.message).toContain('Did you mean "memory"?');
  });
});

describe('resolvePlugin: local files', () => {
  it('imports ./plugins/my-storage.js relative to the project directory', async () => {
    const directory = await projectWith({
      'plugins/my-storage.js': manifestSource('storage', 'local-storage'),
    });
    const manifest = await resolvePlugin(
      { use: './plugins/my-storage.js' },
      { kind: 'storage', projectDirectory: directory, yamlPath: 'storage' },
    );
    expect(manifest.name).toBe('local-storage');
  });

  it('says where it looked for a missing local file', async () => {
    const directory = await projectWith({});
    const provenance = await provenanceOf(directory, 'storage:\n  use: ./plugins/nope.js\n');
    const error = await failure(
      resolvePlugin(
        { use: './plugins/nope.js' },
        { kind: 'storage', projectDirectory: directory, yamlPath: 'storage', provenance },
      ),
    );
    expect(error.code).toBe('PLUGIN_NOT_FOUND');
    expect(error.message).toContain(
      `cairn.config.yaml:2:8 storage.use: plugin file ./plugins/nope.js does not exist (looked at ${path.join(directory, 'plugins', 'nope.js')})`,
    );
  });

  it('reports a module that throws while loading, keeping the cause', async () => {
    const directory = await projectWith({
      'plugins/broken.js': "throw new Error('boom while loading');\n",
    });
    const error = await failure(
      resolvePlugin(
        { use: './plugins/broken.js' },
        { kind: 'storage', projectDirectory: directory, yamlPath: 'storage' },
      ),
    );
    expect(error.code).toBe('PLUGIN_NOT_FOUND');
    expect(error.message).toContain('could not be loaded: boom while loading');
    expect((error.cause as Error).message).toBe('boom while loading');
  });
});

describe('resolvePlugin: manifests and kinds', () => {
  it('reports a module without a plugin export and lists what it does export', async () => {
    const directory = await projectWith({
      'plugins/helpers.js': 'export const helper = 1;\nexport default {};\n',
    });
    const error = await failure(
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
    const error = await failure(
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
    const error = await failure(
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
    const error = await failure(
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
