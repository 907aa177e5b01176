import { z } from 'zod';
import { artifactNamingOptionsSchema } from '../artifacts/artifact-naming.js';
import { retrySettingsSchema } from '../retry/retry-policy.js';

/**
 * One plugin picked in the config: `use:` names it (a short name such as `fs`, a package name,
 * or a `./path` to a local module) and `options:` is checked later by the plugin's own schema.
 */
export const pluginReferenceSchema = z
  .object({
    /** Short name, package name or `./relative/path.js`. */
    use: z.string().trim().min(1, 'expected a plugin name such as "fs", a package name or ./path'),
    /** The plugin's options; an empty `options:` counts as none. */
    options: z
      .record(z.string(), z.unknown())
      .nullish()
      .transform((options) => options ?? {}),
  })
  .strict();

/** A validated plugin reference. */
export type PluginReference = z.output<typeof pluginReferenceSchema>;

/**
 * Project-wide retry defaults: the plain-data fields of a retry policy, validated by the retry
 * engine's own schema (`retrySettingsSchema`: the same ranges, and maxDelayMs at least
 * initialDelayMs), so a config that loads always builds a policy. What is left out keeps
 * `createRetryPolicy`'s defaults.
 */
export const retryConfigSchema = retrySettingsSchema;

/** Where and how much the application logs. */
export const loggingConfigSchema = z
  .object({
    /** Lowest level written (pino's level names). */
    level: z.enum(['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent']),
    /** Log file, relative to the project directory; the app keeps the terminal for its UI. */
    file: z.string().min(1),
  })
  .partial()
  .strict();

/** Facts about the project itself. */
export const projectConfigSchema = z
  .object({
    /** A human name shown by the monitor and recorded in lineage. */
    name: z.string().min(1),
  })
  .strict();

/** Artifact settings: naming conventions relaxed or extended for this project. */
export const artifactsConfigSchema = z
  .object({
    /** `mode` (enforce, warn, off), extra `rules` per type, and types to `relax`. */
    naming: artifactNamingOptionsSchema.optional(),
  })
  .strict();

/** The schema of `cairn.config.yaml`. Unknown keys are refused at every level. */
export const cairnConfigSchema = z
  .object({
    /** Where checkpoints, runs and artifacts are kept. Required. */
    storage: pluginReferenceSchema,
    /** A second storage every write is mirrored to. */
    backup: pluginReferenceSchema.optional(),
    /** Where the catalog looks for metadata a sidecar lacks, in order. */
    metadataSources: z.array(pluginReferenceSchema).default([]),
    /** Lineage exporters (DOT, Mermaid, OpenLineage…). */
    exporters: z.array(pluginReferenceSchema).default([]),
    /** Retry defaults for the whole project. */
    retry: retryConfigSchema.optional(),
    /** Application logging. */
    logging: loggingConfigSchema.optional(),
    /** The project's own facts. */
    project: projectConfigSchema.optional(),
    /** Artifact settings (naming conventions). */
    artifacts: artifactsConfigSchema.optional(),
  })
  .strict();

/** A validated `cairn.config.yaml`. */
export type CairnConfig = z.output<typeof cairnConfigSchema>;

/** The top-level keys `cairn.config.yaml` accepts. */
export const cairnConfigKeys: readonly string[] = Object.keys(cairnConfigSchema.shape);
