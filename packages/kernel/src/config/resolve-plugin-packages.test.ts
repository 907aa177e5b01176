import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { manifestSource, packageFiles, provenanceOf } from '../testing/plugin-modules.js';
import { rejection } from '../testing/rejection.js';
import { temporaryProjects } from '../testing/temporary-project.js';
import { resolvePlugin } from './resolve-plugin.js';

const projectWith = temporaryProjects('cairn-resolve-plugin', { linkZod: true });

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
    const error = await rejection(
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
    const error = await rejection(
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
    const error = await rejection(
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
    const error = await rejection(
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
    const error = await rejection(
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
    const error = await rejection(
      resolvePlugin(
        { use: 'Memory Storage' },
        { kind: 'storage', projectDirectory: directory, yamlPath: 'storage' },
      ),
    );
    expect(error.code).toBe('INVALID_CONFIG');
    expect(error.message).toContain(
      '"Memory Storage" is neither a built-in plugin (memory, fs, s3, wandb, dot, mermaid, openlineage)',
    );
    const close = await rejection(
      resolvePlugin(
        { use: 'Memroy' },
        { kind: 'storage', projectDirectory: directory, yamlPath: 'storage' },
      ),
    );
    expect(close.message).toContain('Did you mean "memory"?');
  });
});
