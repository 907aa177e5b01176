import path from 'node:path';
import type { z } from 'zod';
import type { MetadataSource } from '../catalog/metadata-source.js';
import { type Logger, silentLogger } from '../logging/logger.js';
import { createMirroredStorage } from '../storage/mirrored-storage.js';
import type { Storage } from '../storage/storage.js';
import { missingStorageMembers } from '../storage/storage-shape.js';
import { closeAll, closeQuietly } from './close-plugins.js';
import { configIssuesError, configProblemError, locateIssues } from './config-issues.js';
import {
  type ConfigProvenance,
  formatYamlPath,
  inMemoryProvenance,
  type YamlPathSegments,
} from './config-provenance.js';
import { type CairnConfig, cairnConfigSchema, type PluginReference } from './config-schema.js';
import type { LoadedConfig } from './load-config.js';
import type { PluginKind, PluginManifest } from './plugin.js';
import { creationError } from './plugin-creation-error.js';
import { collectSecretValues, secretRulesOf } from './redact.js';
import { resolvePlugin } from './resolve-plugin.js';
import { validatePluginOptions } from './validate-plugin-options.js';

/** A config written in code: like `cairn.config.yaml`, before defaults. */
export type CairnConfigInput = z.input<typeof cairnConfigSchema>;

/** What {@link createFromConfig} needs besides the config. */
export interface CreateFromConfigOptions {
  /** Packages and `./paths` are resolved from here, and plugins resolve relative paths from it. */
  readonly projectDirectory: string;
  /** Handed to every plugin (as a child logger naming it); silent by default. */
  readonly logger?: Logger;
}

/** The plugins a config picked, built and ready. */
export interface CairnPlugins {
  /** The storage to use: the primary, or the mirror of primary and backup when a backup is set. */
  readonly storage: Storage;
  /** The storage under `storage:`. */
  readonly primary: Storage;
  /** The storage under `backup:`, when set. */
  readonly backup?: Storage;
  /** The metadata sources, in config order (hand them to `createCatalog({ sources })`). */
  readonly metadataSources: readonly MetadataSource[];
  /** The lineage exporters, in config order. */
  readonly exporters: readonly unknown[];
  /** Closes every plugin that has a `close()`, last created first. */
  close(): Promise<void>;
}

interface PlannedPlugin {
  readonly segments: YamlPathSegments;
  readonly kind: PluginKind;
  readonly reference: PluginReference;
}

interface PreparedPlugin extends PlannedPlugin {
  readonly manifest: PluginManifest;
  readonly options: unknown;
}

/**
 * Resolves every plugin the config names, validates all their options, and only then builds
 * them with `manifest.create(options, context)`, so a typo in the last exporter does not leave
 * a half-opened storage behind.
 *
 * @param config - what {@link loadConfig} returned (errors then name lines), or a config
 *   written in code.
 * @throws `PLUGIN_NOT_FOUND`, `INVALID_CONFIG` or `INVALID_OPTIONS` as the resolution and
 *   validation steps do; when a factory fails, its error code wrapped with the config
 *   location, after closing what was already built.
 */
export async function createFromConfig(
  config: LoadedConfig | CairnConfigInput,
  options: CreateFromConfigOptions,
): Promise<CairnPlugins> {
  const projectDirectory = path.resolve(options.projectDirectory);
  const logger = options.logger ?? silentLogger;
  const { validated, provenance } = validateConfig(config);

  const planned: PlannedPlugin[] = [
    { segments: ['storage'], kind: 'storage', reference: validated.storage },
    ...(validated.backup
      ? [{ segments: ['backup'], kind: 'storage' as const, reference: validated.backup }]
      : []),
    ...validated.metadataSources.map((reference, index) => ({
      segments: ['metadataSources', index],
      kind: 'metadata-source' as const,
      reference,
    })),
    ...validated.exporters.map((reference, index) => ({
      segments: ['exporters', index],
      kind: 'lineage-exporter' as const,
      reference,
    })),
  ];

  const prepared: PreparedPlugin[] = [];
  for (const plan of planned) {
    const yamlPath = formatYamlPath(plan.segments);
    const manifest = await resolvePlugin(plan.reference, {
      kind: plan.kind,
      projectDirectory,
      yamlPath,
      provenance,
      logger,
    });
    const pluginOptions = await validatePluginOptions(manifest, plan.reference.options, {
      yamlPath,
      provenance,
    });
    prepared.push({ ...plan, manifest, options: pluginOptions });
  }

  const secrets = collectSecretValues(
    validated,
    [],
    secretRulesOf(
      provenance,
      prepared.flatMap((plugin) => plugin.manifest.secretOptions ?? []),
    ),
  );
  const created: unknown[] = [];
  for (const plugin of prepared) {
    try {
      const instance = await plugin.manifest.create(plugin.options, {
        projectDirectory,
        logger: logger.child({ plugin: plugin.manifest.name }),
      });
      // Kept before the check so that whatever was built is closed if the check fails.
      created.push(instance);
      if (plugin.kind === 'storage') checkStorage(instance, plugin, provenance);
      if (plugin.kind === 'metadata-source') checkMetadataSource(instance, plugin, provenance);
      logger.debug(
        {
          kind: plugin.kind,
          name: plugin.manifest.name,
          yamlPath: formatYamlPath(plugin.segments),
        },
        'plugin created',
      );
    } catch (error) {
      await closeQuietly(created, logger, { plugin: plugin.manifest.name });
      throw creationError(
        error,
        { segments: plugin.segments, kind: plugin.kind, name: plugin.manifest.name },
        provenance,
        secrets,
      );
    }
  }

  const primary = created[0] as Storage;
  const backup = validated.backup ? (created[1] as Storage) : undefined;
  const firstSource = backup ? 2 : 1;
  const metadataSources = created.slice(
    firstSource,
    firstSource + validated.metadataSources.length,
  ) as MetadataSource[];
  const exporters = created.slice(firstSource + validated.metadataSources.length);
  let storage = primary;
  if (backup) {
    try {
      storage = createMirroredStorage({
        copies: { primary, backups: [backup] },
        logger: logger.child({ plugin: 'mirror' }),
      });
    } catch (error) {
      // checkStorage already refused what the mirror would; this only keeps handles from leaking.
      await closeQuietly(created, logger, { plugin: 'mirror' });
      throw error;
    }
  }
  // The mirror closes both of its copies; closing them again would be a second close.
  const closeable = backup ? [storage, ...created.slice(2)] : created;
  return {
    storage,
    primary,
    ...(backup ? { backup } : {}),
    metadataSources,
    exporters,
    close: () => closeAll(closeable),
  };
}

function validateConfig(config: LoadedConfig | CairnConfigInput): {
  validated: CairnConfig;
  provenance: ConfigProvenance;
} {
  const loaded = 'provenance' in config && 'config' in config;
  const provenance = loaded ? (config as LoadedConfig).provenance : inMemoryProvenance();
  const input: unknown = loaded ? (config as LoadedConfig).config : config;
  // Configs written in code have not been through loadConfig; loaded ones parse unchanged.
  const parsed = cairnConfigSchema.safeParse(input);
  if (parsed.success) return { validated: parsed.data, provenance };
  throw configIssuesError({
    code: 'INVALID_CONFIG',
    provenance,
    subject: 'the config',
    hint: 'Fix the config and try again.',
    issues: locateIssues(parsed.error.issues, {
      provenance,
      basePath: [],
      input,
      schema: cairnConfigSchema,
      noun: 'key',
      secrets: collectSecretValues(input, [], secretRulesOf(provenance)),
    }),
  });
}

function checkMetadataSource(
  instance: unknown,
  plugin: PreparedPlugin,
  provenance: ConfigProvenance,
): void {
  const source = instance as Partial<MetadataSource> | null;
  if (
    typeof source === 'object' &&
    source !== null &&
    typeof source.name === 'string' &&
    typeof source.lookup === 'function'
  ) {
    return;
  }
  throw configProblemError(
    'INVALID_CONFIG',
    provenance,
    [...plugin.segments, 'use'],
    `metadata source plugin "${plugin.manifest.name}" built something that is not a metadata source (expected { name, lookup(subject) }). Report this to the plugin's authors.`,
  );
}

function checkStorage(
  instance: unknown,
  plugin: PreparedPlugin,
  provenance: ConfigProvenance,
): void {
  const missing = missingStorageMembers(instance);
  if (missing.length === 0) return;
  throw configProblemError(
    'INVALID_CONFIG',
    provenance,
    [...plugin.segments, 'use'],
    `storage plugin "${plugin.manifest.name}" built something that is not a Storage (missing ${missing.join(', ')}). Report this to the plugin's authors.`,
  );
}
