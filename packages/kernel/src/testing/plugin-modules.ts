import { readdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { ConfigProvenance } from '../config/config-provenance.js';
import { loadConfig } from '../config/load-config.js';

// Plugin modules written into temporary projects by the config tests, so plugins are
// resolved and imported from real files the way a user's project would hold them.

/** The source of a module exporting a minimal manifest of `kind` as `exportName`. */
export function manifestSource(kind: string, name: string, exportName = 'plugin'): string {
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

/** The files of a package `name` installed in a project's node_modules, its entry being `source`. */
export function packageFiles(
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

/** Loads a real config so errors carry real line numbers. */
export async function provenanceOf(directory: string, yaml: string): Promise<ConfigProvenance> {
  await writeFile(path.join(directory, 'cairn.config.yaml'), yaml);
  return (await loadConfig({ projectDirectory: directory, environment: {} })).provenance;
}

/**
 * A local plugin module that leaves a marker file in the project when it is created and when
 * it is closed, so tests see what really happened on disk.
 */
export function localPlugin(kind: string, name: string): string {
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
    if ('${kind}' === 'metadata-source') {
      instance.lookup = async () => ({ status: 'not-found', reason: 'a local test source knows nothing' });
    }
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

/** One local plugin module of each kind, as files for a temporary project. */
export const localPluginFiles: Readonly<Record<string, string>> = {
  'plugins/storage.js': localPlugin('storage', 'local-storage'),
  'plugins/source.js': localPlugin('metadata-source', 'local-source'),
  'plugins/exporter.js': localPlugin('lineage-exporter', 'local-exporter'),
};

/** The marker files {@link localPlugin} left in `directory`, sorted. */
export async function markers(directory: string): Promise<string[]> {
  return (await readdir(directory)).filter((name) => /^(created|closed)-/.test(name)).sort();
}
