import { z } from 'zod';
import { describeIssues } from '../catalog/catalog-options.js';
import type { MetadataSource } from '../catalog/metadata-source.js';
import { CairnError } from '../errors/cairn-error.js';
import { type Logger, silentLogger } from '../logging/logger.js';
import { namePattern } from '../naming/names.js';
import { isValidKey } from '../storage/keys.js';
import type { Storage } from '../storage/storage.js';
import { isStorage } from '../storage/storage-shape.js';
import { indexingBackend } from './indexing-backend.js';

/**
 * The step indexed checkpoints are filed under when neither `step` nor the layout names one.
 * Kept apart from the steps pipelines save, so a resume never picks up a checkpoint Cairn did
 * not write as its own.
 */
export const defaultIndexStep = 'indexed';

const isFunction = (value: unknown) => typeof value === 'function';

/** Options of {@link indexCheckpoints}, validated before anything is read. */
export const indexOptionsSchema = z.strictObject({
  /** The storage holding the checkpoints; the sidecars are written to it too. */
  storage: z.custom<Storage>(isStorage, {
    message:
      'expected a Storage (an object with name, capabilities, put, get, head, list, listPage and delete)',
  }),
  /** Only payloads whose key starts with this (a folder such as `lightning_logs/`); default all. */
  prefix: z
    .string()
    .refine((prefix) => prefix === '' || isValidKey(prefix.replace(/\/$/, '')), {
      message: 'expected a storage key prefix such as "lightning_logs/"',
    })
    .default(''),
  /**
   * Sources asked before the inference sources, in order: remote ones such as W&B. The four
   * inference sources (Lightning, legacy pipeline, Hydra, safetensors) always follow.
   */
  sources: z
    .array(
      z.custom<MetadataSource>(
        (value) =>
          typeof value === 'object' &&
          value !== null &&
          typeof (value as MetadataSource).name === 'string' &&
          isFunction((value as MetadataSource).lookup),
        { message: 'expected a metadata source: { name, lookup(subject) }' },
      ),
    )
    .default([]),
  /**
   * The step the sidecars are filed under (`checkpoints/<step>/…`), except for the legacy
   * layout, whose step folders name theirs. Default {@link defaultIndexStep}.
   */
  step: z
    .string()
    .regex(namePattern, 'expected a step name: letters, digits, "_", "-" and "."')
    .max(100)
    .default(defaultIndexStep),
  /** Plan only: read and report, write nothing. */
  dryRun: z.boolean().default(false),
  /** Stops the indexing between reads and writes with `ABORTED`. */
  signal: z.custom<AbortSignal>((value) => value instanceof AbortSignal).optional(),
  /** Where to log what is written and what is skipped; default silent. */
  logger: z
    .custom<Logger>(
      (value) =>
        typeof value === 'object' &&
        value !== null &&
        ['debug', 'info', 'warn', 'error', 'child'].every((level) =>
          isFunction((value as Record<string, unknown>)[level]),
        ),
      { message: 'expected a logger with debug, info, warn, error and child methods' },
    )
    .default(silentLogger),
});

/** What {@link indexCheckpoints} takes. */
export type IndexOptions = z.input<typeof indexOptionsSchema>;
/** Options after validation, with defaults applied. */
export type ResolvedIndexOptions = z.output<typeof indexOptionsSchema>;

/**
 * Validates the options.
 * @throws CairnError `INVALID_OPTIONS` listing every problem with its option path.
 */
export function resolveIndexOptions(options: IndexOptions): ResolvedIndexOptions {
  const parsed = indexOptionsSchema.safeParse(options);
  if (!parsed.success) {
    const problems = describeIssues(parsed.error, 'options');
    throw new CairnError({
      code: 'INVALID_OPTIONS',
      backend: indexingBackend,
      message: `Invalid indexing options: ${problems.join('; ')}. Fix them in the call to indexCheckpoints.`,
      details: { problems },
    });
  }
  return parsed.data;
}
