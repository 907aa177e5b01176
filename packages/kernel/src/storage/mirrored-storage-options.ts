import { z } from 'zod';
import { CairnError } from '../errors/cairn-error.js';
import { type Logger, silentLogger } from '../logging/logger.js';
import type { MirrorEventListener } from './mirrored-storage-events.js';
import type { Storage } from './storage.js';
import { isStorage } from './storage-shape.js';

/** The name a mirror reports in errors unless given another. */
export const mirroredStorageName = 'mirror';

/** Objects up to this size are verified in memory by default (16 MiB). */
export const defaultBufferLimitBytes = 16 * 1024 * 1024;

const storageSchema = z.custom<Storage>(isStorage, {
  message:
    'expected a Storage (an object with name, capabilities, put, get, head, list, listPage and delete)',
});

const loggerSchema = z.custom<Logger>(
  (value) =>
    typeof value === 'object' &&
    value !== null &&
    ['debug', 'info', 'warn', 'error', 'child'].every(
      (level) => typeof (value as Record<string, unknown>)[level] === 'function',
    ),
  { message: 'expected a logger with debug, info, warn, error and child methods (pino works)' },
);

/** Options of {@link createMirroredStorage}, validated at the factory boundary. */
export const mirroredStorageOptionsSchema = z.object({
  copies: z.union([
    z.array(storageSchema).min(2, 'a mirror needs at least two copies: a primary and a backup'),
    z.object({
      primary: storageSchema,
      backups: z.array(storageSchema).min(1, 'a mirror needs at least one backup'),
    }),
  ]),
  onEvent: z
    .custom<MirrorEventListener>((value) => typeof value === 'function', {
      message: 'expected a function',
    })
    .optional(),
  logger: loggerSchema.optional(),
  bufferLimitBytes: z.number().int().positive().default(defaultBufferLimitBytes),
  repair: z.boolean().default(true),
  name: z.string().min(1).default(mirroredStorageName),
});

/** What callers pass to {@link createMirroredStorage}. */
export type MirroredStorageOptions = z.input<typeof mirroredStorageOptionsSchema>;

/** Options after validation, with defaults applied and copies in one list (primary first). */
export interface ResolvedMirrorOptions {
  /** Primary first, then the backups. */
  readonly copies: readonly Storage[];
  /** Optional event listener. */
  readonly onEvent: MirrorEventListener | undefined;
  /** Where events are logged. */
  readonly logger: Logger;
  /** Largest object verified in memory; larger ones are read twice. */
  readonly bufferLimitBytes: number;
  /** Whether reads rewrite bad copies. */
  readonly repair: boolean;
  /** Name used in error prefixes. */
  readonly name: string;
}

/**
 * Validates the factory options.
 *
 * @throws CairnError `INVALID_OPTIONS` listing every problem with its option path.
 */
export function resolveMirrorOptions(options: MirroredStorageOptions): ResolvedMirrorOptions {
  const parsed = mirroredStorageOptionsSchema.safeParse(options);
  const backend = nameOf(options);
  if (!parsed.success) {
    const problems = describeIssues(parsed.error.issues, options);
    throw new CairnError({
      code: 'INVALID_OPTIONS',
      backend,
      message: `Invalid mirrored storage options: ${problems.join('; ')}. Fix them in the call to createMirroredStorage.`,
      details: { problems },
    });
  }
  const value = parsed.data;
  const copies = Array.isArray(value.copies)
    ? value.copies
    : [value.copies.primary, ...value.copies.backups];
  const repeated = copies.findIndex((copy, index) => copies.indexOf(copy) !== index);
  if (repeated >= 0) {
    throw new CairnError({
      code: 'INVALID_OPTIONS',
      backend,
      message: `Invalid mirrored storage options: copy ${repeated} is the same storage object as copy ${copies.indexOf(copies[repeated] as Storage)}, which would give one copy while claiming two. Pass distinct backends.`,
      details: { problems: [`copies.${repeated}: repeated storage`] },
    });
  }
  return {
    copies,
    onEvent: value.onEvent,
    logger: value.logger ?? silentLogger,
    bufferLimitBytes: value.bufferLimitBytes,
    repair: value.repair,
    name: value.name,
  };
}

/**
 * `path: message` per issue. A bad `copies` fails both union branches and zod reports only
 * "Invalid input"; the branch matching the form the caller used (list or primary/backups)
 * holds the useful messages.
 */
function describeIssues(issues: readonly z.core.$ZodIssue[], options: unknown): string[] {
  const copies = (options as { copies?: unknown } | undefined)?.copies;
  return issues.flatMap((issue) => {
    if (issue.code === 'invalid_union' && issue.path.join('.') === 'copies') {
      const branch = issue.errors[Array.isArray(copies) ? 0 : 1] ?? [];
      return branch.map((inner) => `${['copies', ...inner.path].join('.')}: ${inner.message}`);
    }
    return [`${issue.path.length === 0 ? 'options' : issue.path.join('.')}: ${issue.message}`];
  });
}

function nameOf(options: unknown): string {
  const name = (options as { name?: unknown } | undefined)?.name;
  return typeof name === 'string' && name.length > 0 ? name : mirroredStorageName;
}
