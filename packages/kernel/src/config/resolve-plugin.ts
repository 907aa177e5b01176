import { existsSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { type Logger, silentLogger } from '../logging/logger.js';
import {
  type BuiltinPlugin,
  builtinPlugin,
  builtinPlugins,
  pluginKindLabels,
  pluginKindSections,
} from './builtin-plugins.js';
import { closestMatch } from './closest-match.js';
import { configProblemError } from './config-issues.js';
import { type ConfigProvenance, inMemoryProvenance, parseYamlPath } from './config-provenance.js';
import type { PluginKind, PluginManifest } from './plugin.js';
import { packageNameOf, resolvePackageEntry } from './resolve-package-entry.js';

/** Where a plugin reference sits and what it must be. */
export interface ResolvePluginOptions {
  /** The kind the config position needs: `storage` under `storage:`/`backup:`, etc. */
  readonly kind: PluginKind;
  /** Packages and `./paths` are resolved from here, not from the kernel's location. */
  readonly projectDirectory: string;
  /** The YAML path of the reference, e.g. `storage` or `exporters[1]`. */
  readonly yamlPath: string;
  /** Where the config came from, so errors name the file and line. */
  readonly provenance?: ConfigProvenance;
  /** Where to log which module was loaded; silent by default. */
  readonly logger?: Logger;
}

/** A reference as written in the config: at least `use:`. */
export interface PluginReferenceInput {
  /** Short name (`fs`), package name (`@acme/cairn-storage`) or `./path/to/plugin.js`. */
  readonly use: string;
}

const kinds: ReadonlySet<string> = new Set<PluginKind>([
  'storage',
  'metadata-source',
  'lineage-exporter',
]);
const packageNamePattern = /^(?:@[a-z0-9][a-z0-9._~-]*\/)?[a-z0-9][a-z0-9._~-]*(?:\/[\w.~-]+)*$/;

/**
 * Finds the manifest `use:` names: a built-in short name (`memory`, `fs`, `s3`, `wandb`, `dot`,
 * `mermaid`, `openlineage`), a package installed in the project, or a local module
 * (`./plugins/my-storage.js`, relative to the project directory). The module must export its
 * manifest as `plugin`.
 *
 * The `use:` value is shown in messages and logs even when it came from `${ENV}`: it names a
 * plugin, not a secret, and the fix (the `pnpm add` line) needs it.
 *
 * @throws `PLUGIN_NOT_FOUND` when the package or file is missing or exports no manifest (the
 *   message has the exact `pnpm add` line); `INVALID_CONFIG` when the name is malformed or the
 *   plugin is of another kind.
 */
export async function resolvePlugin(
  reference: PluginReferenceInput,
  options: ResolvePluginOptions,
): Promise<PluginManifest> {
  const provenance = options.provenance ?? inMemoryProvenance();
  const useSegments = [...parseYamlPath(options.yamlPath), 'use'];
  const logger = options.logger ?? silentLogger;
  const projectDirectory = path.resolve(options.projectDirectory);
  const { use } = reference;

  const builtin = builtinPlugin(use);
  let manifest: unknown;
  let label: string;
  if (builtin && 'manifest' in builtin) {
    manifest = builtin.manifest;
    label = `built-in plugin "${use}"`;
  } else if (builtin) {
    label = `plugin "${use}" (package ${builtin.packageName})`;
    manifest = await importPackageManifest(builtin.packageName, builtin.exportName, builtin);
  } else if (isPathReference(use)) {
    const file = path.resolve(projectDirectory, use);
    label = `plugin file ${use}`;
    if (!existsSync(file)) {
      throw configProblemError(
        'PLUGIN_NOT_FOUND',
        provenance,
        useSegments,
        `${label} does not exist (looked at ${file}). Check the path; relative paths start from the project directory ${projectDirectory}.`,
        { details: { use, looked: file } },
      );
    }
    manifest = await importManifest(file, 'plugin');
  } else if (packageNamePattern.test(use)) {
    label = `plugin package "${use}"`;
    manifest = await importPackageManifest(use, 'plugin', undefined);
  } else {
    const suggestion = closestMatch(use, Object.keys(builtinPlugins));
    throw configProblemError(
      'INVALID_CONFIG',
      provenance,
      useSegments,
      `"${use}" is neither a built-in plugin (${Object.keys(builtinPlugins).join(', ')}), a package name, nor a path starting with ./${suggestion ? `. Did you mean "${suggestion}"?` : '.'}`,
      { details: { use } },
    );
  }

  const problem = manifestProblem(manifest);
  if (problem !== undefined) {
    throw configProblemError(
      'PLUGIN_NOT_FOUND',
      provenance,
      useSegments,
      `${label} does not export a valid plugin manifest: ${problem}. A Cairn plugin exports \`plugin\`, built with definePlugin({ kind, name, optionsSchema, create }).`,
      { details: { use } },
    );
  }
  const valid = manifest as PluginManifest;
  if (valid.kind !== options.kind) {
    throw configProblemError(
      'INVALID_CONFIG',
      provenance,
      useSegments,
      `${label} is a ${pluginKindLabels[valid.kind]} plugin, but ${options.yamlPath} needs a ${pluginKindLabels[options.kind]} plugin. Move it under ${pluginKindSections[valid.kind]}, or pick a ${pluginKindLabels[options.kind]} plugin here${builtinHint(options.kind)}.`,
      { details: { use, expectedKind: options.kind, actualKind: valid.kind } },
    );
  }
  logger.debug(
    { use, kind: valid.kind, name: valid.name, yamlPath: options.yamlPath },
    'plugin resolved',
  );
  return valid;

  async function importPackageManifest(
    specifier: string,
    exportName: string,
    builtinEntry: BuiltinPlugin | undefined,
  ): Promise<unknown> {
    const install = `pnpm add ${packageNameOf(specifier)}`;
    const entry = resolvePackageEntry(projectDirectory, specifier);
    if (entry.status === 'missing') {
      const suggestion = builtinEntry ? undefined : closestMatch(use, Object.keys(builtinPlugins));
      throw configProblemError(
        'PLUGIN_NOT_FOUND',
        provenance,
        useSegments,
        `${label} is not installed in ${projectDirectory}. Install it: ${install}${suggestion ? ` (or did you mean the built-in "${suggestion}"?)` : ''}`,
        { details: { use, package: packageNameOf(specifier), projectDirectory } },
      );
    }
    if (entry.status === 'entry-missing') {
      throw configProblemError(
        'PLUGIN_NOT_FOUND',
        provenance,
        useSegments,
        `${label} is installed at ${entry.packageDirectory}, but its entry file is missing. Build the package (in a workspace) or reinstall it: ${install}`,
        { details: { use, packageDirectory: entry.packageDirectory } },
      );
    }
    if (entry.status === 'not-exported') {
      throw configProblemError(
        'PLUGIN_NOT_FOUND',
        provenance,
        useSegments,
        `${label} is installed at ${entry.packageDirectory}, but its package.json "exports" offers no "import" or "default" entry for ${specifier}. Use the package's documented entry point, or fix its exports.`,
        { details: { use, packageDirectory: entry.packageDirectory } },
      );
    }
    return importManifest(entry.file, exportName);
  }

  async function importManifest(file: string, exportName: string): Promise<unknown> {
    let namespace: Record<string, unknown>;
    try {
      namespace = (await import(pathToFileURL(file).href)) as Record<string, unknown>;
    } catch (error) {
      const reason = String((error as Error)?.message ?? error).split('\n')[0];
      throw configProblemError(
        'PLUGIN_NOT_FOUND',
        provenance,
        useSegments,
        `${label} was found at ${file} but could not be loaded: ${reason}. Check that the module and its dependencies are installed and that it is an ES module Node can import.`,
        { cause: error, details: { use, file } },
      );
    }
    if (!(exportName in namespace)) {
      const names = Object.keys(namespace).sort();
      throw configProblemError(
        'PLUGIN_NOT_FOUND',
        provenance,
        useSegments,
        `${label} (${file}) does not export \`${exportName}\` (its exports: ${names.length === 0 ? 'none' : names.join(', ')}). A Cairn plugin module exports its manifest: export const ${exportName} = definePlugin({ … }).`,
        { details: { use, file, exports: names } },
      );
    }
    return namespace[exportName];
  }
}

function isPathReference(use: string): boolean {
  return use.startsWith('./') || use.startsWith('../') || path.isAbsolute(use);
}

function manifestProblem(manifest: unknown): string | undefined {
  if (typeof manifest !== 'object' || manifest === null)
    return `it is ${manifest === null ? 'null' : typeof manifest}, not an object`;
  const candidate = manifest as Record<string, unknown>;
  if (typeof candidate.kind !== 'string' || !kinds.has(candidate.kind)) {
    return `"kind" must be one of ${[...kinds].join(', ')}`;
  }
  if (typeof candidate.name !== 'string' || candidate.name === '')
    return '"name" must be a non-empty string';
  const schema = candidate.optionsSchema as { safeParse?: unknown } | undefined;
  if (typeof schema?.safeParse !== 'function') return '"optionsSchema" must be a zod schema';
  if (typeof candidate.create !== 'function') return '"create" must be a function';
  return undefined;
}

function builtinHint(kind: PluginKind): string {
  const names = Object.entries(builtinPlugins)
    .filter(([, entry]) => entry.kind === kind)
    .map(([name]) => name);
  return names.length === 0 ? '' : ` (built-in: ${names.join(', ')})`;
}
