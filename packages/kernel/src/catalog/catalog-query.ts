import { z } from 'zod';
import type { JsonValue } from '../checkpoints/json-value.js';
import { CairnError } from '../errors/cairn-error.js';
import { namePattern } from '../naming/names.js';
import type { CatalogEntry } from './catalog-entry.js';
import { catalogBackend, describeIssues } from './catalog-options.js';

const primitive = z.union([z.string(), z.number(), z.boolean(), z.null()]);

/** What to order results by: a field, or a metric as `metrics.<name>`. */
const sortKeySchema = z
  .string()
  .refine(
    (key) =>
      ['createdAt', 'id', 'size', 'epoch', 'trainingStep'].includes(key) ||
      (key.startsWith('metrics.') && key.length > 'metrics.'.length),
    'expected createdAt, id, size, epoch, trainingStep or metrics.<name>',
  );

/** A catalog query, validated where it enters. */
export const catalogQuerySchema = z.strictObject({
  /** Only these steps (one name or several). */
  step: z.union([z.string().regex(namePattern), z.array(z.string().regex(namePattern))]).optional(),
  /** Only checkpoints of this run (`<pipeline>/<time id>`). */
  run: z.string().min(1).optional(),
  /** Only entries carrying every one of these tags. */
  tags: z.array(z.string()).optional(),
  /** Only entries whose metadata has these values; keys may be dotted paths (`data.version`). */
  metadata: z.record(z.string(), primitive).optional(),
  /** Only entries with these metrics, within the bounds given (inclusive). */
  metrics: z
    .record(z.string(), z.strictObject({ min: z.number().optional(), max: z.number().optional() }))
    .optional(),
  /** Any other test, in code. */
  where: z
    .custom<(entry: CatalogEntry) => boolean>((value) => typeof value === 'function', {
      message: 'expected a function (entry) => boolean',
    })
    .optional(),
  /** The newest matching entry of each step only. */
  latestPerStep: z.boolean().optional(),
  /** Order by this key; entries without it come last. Default: by time, oldest first. */
  sort: z
    .strictObject({ by: sortKeySchema, order: z.enum(['asc', 'desc']).default('asc') })
    .optional(),
  /** The best `k` by a metric: `min` for losses, `max` for scores. Entries without it are left out. */
  best: z
    .strictObject({
      metric: z.string().min(1),
      mode: z.enum(['min', 'max']),
      k: z.number().int().positive(),
    })
    .optional(),
  /** At most this many entries. */
  limit: z.number().int().positive().optional(),
  /** Cancels the listing. */
  signal: z.custom<AbortSignal>((value) => value instanceof AbortSignal).optional(),
});

/** What {@link Catalog.checkpoints} takes. */
export type CatalogQuery = z.input<typeof catalogQuerySchema>;
/** A query after validation. */
export type ResolvedCatalogQuery = z.output<typeof catalogQuerySchema>;

/**
 * Validates a query.
 * @throws CairnError `INVALID_OPTIONS` naming every problem.
 */
export function resolveCatalogQuery(query: CatalogQuery): ResolvedCatalogQuery {
  const parsed = catalogQuerySchema.safeParse(query);
  if (!parsed.success) {
    const problems = describeIssues(parsed.error, 'query');
    throw new CairnError({
      code: 'INVALID_OPTIONS',
      backend: catalogBackend,
      message: `Invalid catalog query: ${problems.join('; ')}.`,
      details: { problems },
    });
  }
  const resolved = parsed.data;
  if (resolved.best !== undefined && (resolved.sort !== undefined || resolved.latestPerStep)) {
    throw new CairnError({
      code: 'INVALID_OPTIONS',
      backend: catalogBackend,
      message:
        'Invalid catalog query: `best` already orders by its metric; drop `sort` or `latestPerStep`, or use `sort` with `limit` instead.',
    });
  }
  return resolved;
}

function valueAt(
  metadata: Readonly<Record<string, JsonValue>>,
  path: string,
): JsonValue | undefined {
  if (Object.hasOwn(metadata, path)) return metadata[path];
  let current: JsonValue | undefined = metadata as JsonValue;
  for (const part of path.split('.')) {
    if (current === null || typeof current !== 'object' || Array.isArray(current)) return undefined;
    current = Object.hasOwn(current, part)
      ? (current as Record<string, JsonValue>)[part]
      : undefined;
  }
  return current;
}

/** Whether an entry passes the query's filters (everything but ordering and limits). */
export function matchesQuery(entry: CatalogEntry, query: ResolvedCatalogQuery): boolean {
  if (query.run !== undefined && entry.run !== query.run) return false;
  if (query.tags !== undefined && !query.tags.every((tag) => entry.tags.includes(tag)))
    return false;
  if (query.metadata !== undefined) {
    for (const [path, expected] of Object.entries(query.metadata)) {
      if (valueAt(entry.metadata, path) !== expected) return false;
    }
  }
  if (query.metrics !== undefined) {
    for (const [name, bounds] of Object.entries(query.metrics)) {
      const value = entry.metrics[name];
      if (value === undefined) return false;
      if (bounds.min !== undefined && value < bounds.min) return false;
      if (bounds.max !== undefined && value > bounds.max) return false;
    }
  }
  if (query.best !== undefined && entry.metrics[query.best.metric] === undefined) return false;
  return query.where === undefined || query.where(entry);
}

/** The value an entry sorts by, or undefined when it has none. */
export function sortValue(entry: CatalogEntry, key: string): string | number | undefined {
  if (key.startsWith('metrics.')) return entry.metrics[key.slice('metrics.'.length)];
  switch (key) {
    case 'createdAt':
      return entry.createdAt;
    case 'id':
      return entry.id;
    case 'size':
      return entry.size;
    case 'epoch':
      return entry.epoch;
    case 'trainingStep':
      return entry.trainingStep;
    default:
      return undefined;
  }
}

/** Orders entries by `key`; those without a value last; ties by time, then id. */
export function compareBy(
  key: string,
  order: 'asc' | 'desc',
): (left: CatalogEntry, right: CatalogEntry) => number {
  const direction = order === 'asc' ? 1 : -1;
  return (left, right) => {
    const a = sortValue(left, key);
    const b = sortValue(right, key);
    if (a === undefined || b === undefined) {
      if (a !== b) return a === undefined ? 1 : -1;
    } else if (a !== b) {
      return (a < b ? -1 : 1) * direction;
    }
    return compareByTime(left, right);
  };
}

/** Oldest first by the time part of the id, then by id (step). */
export function compareByTime(left: CatalogEntry, right: CatalogEntry): number {
  const a = left.id.slice(left.id.indexOf('/') + 1);
  const b = right.id.slice(right.id.indexOf('/') + 1);
  if (a !== b) return a < b ? -1 : 1;
  return left.id < right.id ? -1 : left.id > right.id ? 1 : 0;
}
