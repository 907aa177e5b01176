import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { memoryStoragePlugin } from '../storage/memory-storage-plugin.js';
import { manifestSource, packageFiles, provenanceOf } from '../testing/plugin-modules.js';
import { rejection } from '../testing/rejection.js';
import { temporaryProjects } from '../testing/temporary-project.js';
import { resolvePlugin } from './resolve-plugin.js';

const projectWith = temporaryProjects('cairn-resolve-plugin', { linkZod: true });

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
    const error = await rejection(
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
    const error = await rejection(resolvePlugin({ use: 'openlineage' }, options));
    expect(error.code).toBe('PLUGIN_NOT_FOUND');
    expect(error.message).toContain(
      'does not export `openLineagePlugin` (its exports: dotPlugin, mermaidPlugin)',
    );
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
    const error = await rejection(
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
    const error = await rejection(
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
