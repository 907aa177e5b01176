import type { z } from 'zod';
import type { Logger } from '../logging/logger.js';
import type { Storage } from '../storage/storage.js';

/** The kinds of plugin a project can pick in `cairn.config.yaml`. */
export type PluginKind = 'storage' | 'metadata-source' | 'lineage-exporter';

/** What a plugin factory receives besides its validated options. */
export interface PluginContext {
  /** The project directory (where `cairn.config.yaml` lives); relative paths resolve from it. */
  readonly projectDirectory: string;
  /** Where the plugin may log; silent unless the application configured logging. */
  readonly logger: Logger;
}

/**
 * What a plugin package exports as `plugin`: enough for the config loader to validate options
 * with the plugin's own schema and build it.
 *
 * @typeParam Kind - the plugin kind.
 * @typeParam Schema - the zod schema of the plugin's options.
 * @typeParam Instance - what the factory builds.
 */
export interface PluginManifest<
  Kind extends PluginKind = PluginKind,
  Schema extends z.ZodType = z.ZodType,
  Instance = unknown,
> {
  /** The plugin kind; the loader refuses a plugin used in the wrong place. */
  readonly kind: Kind;
  /** The plugin's short name (`fs`, `s3`, `wandb`), also its error prefix. */
  readonly name: string;
  /** Validates the `options:` block of the config. */
  readonly optionsSchema: Schema;
  /**
   * Option names (top-level keys of the options object) whose values are secrets: never logged,
   * never echoed in errors. Names matching key/token/secret/password/credential are treated as
   * secret anyway.
   */
  readonly secretOptions?: readonly string[];
  /** Builds the plugin from validated options. */
  create(options: z.output<Schema>, context: PluginContext): Instance | Promise<Instance>;
}

/** A storage plugin's manifest. */
export type StoragePluginManifest<Schema extends z.ZodType = z.ZodType> = PluginManifest<
  'storage',
  Schema,
  Storage
>;

/**
 * Declares a plugin manifest with its types checked; returns it unchanged.
 *
 * @example
 * export const plugin = definePlugin({ kind: 'storage', name: 'fs', optionsSchema, create: createFsStorage });
 */
export function definePlugin<Kind extends PluginKind, Schema extends z.ZodType, Instance>(
  manifest: PluginManifest<Kind, Schema, Instance>,
): PluginManifest<Kind, Schema, Instance> {
  return manifest;
}
