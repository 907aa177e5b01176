import { z } from 'zod';
import { CairnError } from '../errors/cairn-error.js';
import type { JournalEvent } from '../journal/journal-events.js';
import { type Logger, silentLogger } from '../logging/logger.js';
import { createTimeIdGenerator, defaultTimeIds, type TimeIdGenerator } from '../naming/time-id.js';
import type { Storage } from '../storage/storage.js';
import { isStorage } from '../storage/storage-shape.js';
import { checkpointsBackend } from './checkpoints-backend.js';
import { type Codec, type CodecRegistry, createCodecRegistry } from './codec.js';

const isFunction = (value: unknown) => typeof value === 'function';

const codecSchema = z.custom<Codec>(
  (value) =>
    typeof value === 'object' &&
    value !== null &&
    typeof (value as Codec).name === 'string' &&
    typeof (value as Codec).contentType === 'string' &&
    isFunction((value as Codec).encode) &&
    isFunction((value as Codec).decode),
  { message: 'expected a codec: { name, contentType, encode(value), decode(bytes) }' },
);

/** Options of {@link createCheckpointStore}, validated at the factory boundary. */
export const checkpointStoreOptionsSchema = z.object({
  /** Where checkpoints live; a mirrored storage keeps each on every copy. */
  storage: z.custom<Storage>(isStorage, {
    message:
      'expected a Storage (an object with name, capabilities, put, get, head, list, listPage and delete)',
  }),
  /** Codecs besides the built-in `json` and `raw`. */
  codecs: z.array(codecSchema).optional(),
  /** Makes the time part of checkpoint ids; default: one generator per process (or per `now`). */
  timeIds: z
    .custom<TimeIdGenerator>(
      (value) =>
        typeof value === 'object' && value !== null && isFunction((value as TimeIdGenerator).next),
      { message: 'expected a time id generator: { next(): string }' },
    )
    .optional(),
  /** Milliseconds since the epoch, for `createdAt` and durations; default `Date.now`. */
  now: z.custom<() => number>(isFunction, { message: 'expected a function' }).optional(),
  /** Where the store logs (warnings for skipped sidecars and storage problems). */
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
    .optional(),
  /** Receives `checkpoint-saved`, `checkpoint-loaded` and `storage-problem` journal events. */
  onEvent: z
    .custom<(event: JournalEvent) => void>(isFunction, { message: 'expected a function' })
    .optional(),
});

/** What {@link createCheckpointStore} takes. */
export interface CheckpointStoreOptions {
  /** Where checkpoints live; a mirrored storage keeps each on every copy and repairs them. */
  readonly storage: Storage;
  /** Codecs besides the built-in `json` and `raw`. */
  readonly codecs?: readonly Codec[];
  /** Makes the time part of checkpoint ids; default: the process-wide generator. */
  readonly timeIds?: TimeIdGenerator;
  /** Milliseconds since the epoch, for `createdAt` and durations; default `Date.now`. */
  readonly now?: () => number;
  /** Where the store logs; default silent. */
  readonly logger?: Logger;
  /** Receives `checkpoint-saved`, `checkpoint-loaded` and `storage-problem` journal events. */
  readonly onEvent?: (event: JournalEvent) => void;
}

/** Options after validation, with defaults applied. */
export interface ResolvedCheckpointStoreOptions {
  /** Where checkpoints live. */
  readonly storage: Storage;
  /** The built-in codecs and the caller's. */
  readonly codecs: CodecRegistry;
  /** Makes the time part of checkpoint ids. */
  readonly timeIds: TimeIdGenerator;
  /** Milliseconds since the epoch. */
  readonly now: () => number;
  /** Where the store logs. */
  readonly logger: Logger;
  /** The journal event listener, if any. */
  readonly onEvent: ((event: JournalEvent) => void) | undefined;
}

/**
 * Validates the factory options.
 * @throws CairnError `INVALID_OPTIONS` listing every problem with its option path.
 */
export function resolveCheckpointStoreOptions(
  options: CheckpointStoreOptions,
): ResolvedCheckpointStoreOptions {
  const parsed = checkpointStoreOptionsSchema.safeParse(options);
  if (!parsed.success) {
    const problems = parsed.error.issues.map(
      (issue) => `${issue.path.length === 0 ? 'options' : issue.path.join('.')}: ${issue.message}`,
    );
    throw new CairnError({
      code: 'INVALID_OPTIONS',
      backend: checkpointsBackend,
      message: `Invalid checkpoint store options: ${problems.join('; ')}. Fix them in the call to createCheckpointStore.`,
      details: { problems },
    });
  }
  const value = parsed.data;
  const now = value.now ?? Date.now;
  return {
    storage: value.storage,
    codecs: createCodecRegistry(value.codecs),
    // An injected clock should drive the ids too, so tests see ids from their own time.
    timeIds:
      value.timeIds ?? (value.now === undefined ? defaultTimeIds : createTimeIdGenerator({ now })),
    now,
    logger: (value.logger ?? silentLogger).child({ component: 'checkpoints' }),
    onEvent: value.onEvent,
  };
}
