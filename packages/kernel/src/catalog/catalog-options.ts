import { z } from 'zod';
import { CairnError } from '../errors/cairn-error.js';
import { type Logger, silentLogger } from '../logging/logger.js';
import type { Storage } from '../storage/storage.js';
import { isStorage } from '../storage/storage-shape.js';
import type { MetadataSource } from './metadata-source.js';

/** The name the catalog reports in errors. */
export const catalogBackend = 'catalog';

const isFunction = (value: unknown) => typeof value === 'function';

const metadataSourceSchema = z.custom<MetadataSource>(
  (value) =>
    typeof value === 'object' &&
    value !== null &&
    typeof (value as MetadataSource).name === 'string' &&
    isFunction((value as MetadataSource).lookup),
  { message: 'expected a metadata source: { name, lookup(subject) }' },
);

/** Options of {@link createCatalog}, validated at the factory boundary. */
export const catalogOptionsSchema = z.strictObject({
  /** Where the checkpoints (and the catalog's index) live. */
  storage: z.custom<Storage>(isStorage, {
    message:
      'expected a Storage (an object with name, capabilities, put, get, head, list, listPage and delete)',
  }),
  /**
   * Sources asked, in order, after a checkpoint's own sidecar, when the sidecar is damaged or
   * holds no metadata, metrics or tags: remote ones (W&B) first, then inference.
   */
  sources: z.array(metadataSourceSchema).default([]),
  /** Keep the index in storage (default); false for read-only storage (rebuilt each time). */
  writeIndex: z.boolean().default(true),
  /** Sidecars per index segment. */
  segmentSize: z.number().int().min(16).max(100_000).default(1000),
  /** Sidecars read at once while building an index. */
  readConcurrency: z.number().int().min(1).max(256).default(32),
  /** Metadata lookups (remote or inference) in flight at once. */
  lookupConcurrency: z.number().int().min(1).max(64).default(8),
  /** Where the catalog logs index rebuilds and sources that failed; default silent. */
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

/** What {@link createCatalog} takes. */
export type CatalogOptions = z.input<typeof catalogOptionsSchema>;
/** Options after validation, with defaults applied. */
export type ResolvedCatalogOptions = z.output<typeof catalogOptionsSchema>;

/** Formats zod issues as `path: message` lines. */
export function describeIssues(error: z.ZodError, root: string): string[] {
  return error.issues.map(
    (issue) => `${issue.path.length === 0 ? root : issue.path.join('.')}: ${issue.message}`,
  );
}

/**
 * Validates the factory options.
 * @throws CairnError `INVALID_OPTIONS` listing every problem with its option path.
 */
export function resolveCatalogOptions(options: CatalogOptions): ResolvedCatalogOptions {
  const parsed = catalogOptionsSchema.safeParse(options);
  if (!parsed.success) {
    const problems = describeIssues(parsed.error, 'options');
    throw new CairnError({
      code: 'INVALID_OPTIONS',
      backend: catalogBackend,
      message: `Invalid catalog options: ${problems.join('; ')}. Fix them in the call to createCatalog.`,
      details: { problems },
    });
  }
  return parsed.data;
}
