import { z } from 'zod';
import { CairnError } from '../errors/cairn-error.js';
import { type Logger, silentLogger } from '../logging/logger.js';
import { parseRunId } from '../naming/layout.js';
import { type Clock, systemClock } from '../retry/clock.js';
import type { Storage } from '../storage/storage.js';
import { isStorage } from '../storage/storage-shape.js';
import { describeIssues } from './journal-entry-parse.js';
import type { JournalHead } from './journal-hash.js';

/** The name journal errors carry: `[cairn] [journal] …`. */
export const journalBackendName = 'journal';

/** How long appended entries wait before they are written, by default. */
export const defaultFlushIntervalMs = 250;

/** How many buffered entries make the writer flush without waiting, by default. */
export const defaultMaxBufferedEntries = 1000;

const functionSchema = z.custom<(...parameters: never[]) => unknown>(
  (value) => typeof value === 'function',
  { message: 'expected a function' },
);

/** Options of {@link openJournalWriter}, validated when the writer opens. */
export const journalWriterOptionsSchema = z.object({
  /** Where the segments go. */
  storage: z.custom<Storage>(isStorage, {
    message:
      'expected a Storage (an object with name, capabilities, put, get, head, list, listPage and delete)',
  }),
  /** The run id, `<pipeline>/<time id>`. */
  run: z.string(),
  /** How long an appended entry may wait before a flush writes it (ms, default 250). */
  flushIntervalMs: z.number().int().nonnegative().default(defaultFlushIntervalMs),
  /** Flush without waiting once this many entries are buffered; also the largest segment. */
  maxBufferedEntries: z.number().int().positive().default(defaultMaxBufferedEntries),
  /** Milliseconds since the epoch for entry times; defaults to the clock's `now`. */
  now: functionSchema.optional(),
  /** Drives the flush timer; tests pass a manual clock. Defaults to the system clock. */
  clock: z
    .custom<Clock>(
      (value) =>
        typeof value === 'object' &&
        value !== null &&
        typeof (value as Clock).now === 'function' &&
        typeof (value as Clock).sleep === 'function',
      { message: 'expected a Clock (now and sleep)' },
    )
    .optional(),
  /** Where flush failures are reported; silent by default. */
  logger: z
    .custom<Logger>(
      (value) =>
        typeof value === 'object' &&
        value !== null &&
        ['debug', 'info', 'warn', 'error', 'child'].every(
          (level) => typeof (value as Record<string, unknown>)[level] === 'function',
        ),
      { message: 'expected a logger with debug, info, warn, error and child methods (pino works)' },
    )
    .optional(),
  /** Continue the run's existing journal instead of starting one. */
  resume: z.boolean().default(false),
  /** The head the run recorded; a resumed journal that ends before it is refused. */
  expectedHead: z.object({ entries: z.number().int().nonnegative(), hash: z.string() }).optional(),
  /** Aborted when the process lost the run to another one: the writer stops writing. */
  leaseLost: z
    .custom<AbortSignal>((value) => value instanceof AbortSignal, {
      message: 'expected an AbortSignal',
    })
    .optional(),
  /** Asked whether this process still owns the run before continuing after another writer. */
  checkOwnership: functionSchema.optional(),
});

/** What callers pass to {@link openJournalWriter}. */
export interface JournalWriterOptions {
  /** Where the segments go. */
  readonly storage: Storage;
  /** The run id, `<pipeline>/<time id>`. */
  readonly run: string;
  /** How long an appended entry may wait before a flush writes it (ms, default 250). */
  readonly flushIntervalMs?: number;
  /**
   * Flush without waiting once this many entries are buffered (default 1000). Also the most
   * entries one segment holds, so readers never hold a large segment.
   */
  readonly maxBufferedEntries?: number;
  /** Milliseconds since the epoch for entry times; defaults to the clock's `now`. */
  readonly now?: () => number;
  /** Drives the flush timer; tests pass a manual clock. Defaults to the system clock. */
  readonly clock?: Clock;
  /** Where flush failures are reported; silent by default. */
  readonly logger?: Logger;
  /**
   * Continue the run's existing journal (a resumed run appends to its own journal): the chain
   * goes on from its last entry. Without it, opening a run that already has a journal fails
   * with `CONFLICT`.
   */
  readonly resume?: boolean;
  /**
   * With `resume`: the journal head the run recorded (its run record's `journal`). Cutting
   * segments off the end leaves a shorter journal that still looks whole; continuing it would
   * hide the loss, so opening fails with `CORRUPT_DATA` when the stored journal ends before
   * this head, or ends at its entry with another hash. A journal that grew past it is fine.
   */
  readonly expectedHead?: JournalHead;
  /**
   * Aborted when the process lost the run this journal belongs to (another process took it
   * over). From then on the writer stores nothing more: appends and flushes fail with
   * `CONFLICT`, and entries not yet stored stay unwritten. The new owner's journal is left
   * alone.
   */
  readonly leaseLost?: AbortSignal;
  /**
   * Asked when another writer stored a segment where this one meant to write, before this one
   * continues the journal after it: resolve true while this process still owns the run, false
   * when it lost it (the writer then stops, as when `leaseLost` aborts). Without it the writer
   * always continues. A rejection counts as a failed write, tried again on the next flush.
   */
  readonly checkOwnership?: () => Promise<boolean>;
}

/** Options after validation, with defaults applied. */
export interface ResolvedJournalWriterOptions {
  readonly storage: Storage;
  readonly run: string;
  readonly flushIntervalMs: number;
  readonly maxBufferedEntries: number;
  readonly now: () => number;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly resume: boolean;
  readonly expectedHead: JournalHead | undefined;
  readonly leaseLost: AbortSignal | undefined;
  readonly checkOwnership: (() => Promise<boolean>) | undefined;
}

/**
 * Validates the writer's options.
 *
 * @throws CairnError `INVALID_OPTIONS` naming every bad option, or a run id that is not one.
 */
export function resolveJournalWriterOptions(
  options: JournalWriterOptions,
): ResolvedJournalWriterOptions {
  const parsed = journalWriterOptionsSchema.safeParse(options);
  if (!parsed.success) {
    const problems = describeIssues(parsed.error.issues, 'options');
    throw new CairnError({
      code: 'INVALID_OPTIONS',
      backend: journalBackendName,
      message: `Invalid journal writer options: ${problems}. Fix them in the call to openJournalWriter.`,
      details: { problems },
    });
  }
  const value = parsed.data;
  parseRunId(value.run);
  const clock = value.clock ?? systemClock;
  return {
    storage: value.storage,
    run: value.run,
    flushIntervalMs: value.flushIntervalMs,
    maxBufferedEntries: value.maxBufferedEntries,
    now: (value.now as (() => number) | undefined) ?? (() => clock.now()),
    clock,
    logger: value.logger ?? silentLogger,
    resume: value.resume,
    expectedHead: value.expectedHead,
    leaseLost: value.leaseLost,
    checkOwnership: value.checkOwnership as (() => Promise<boolean>) | undefined,
  };
}
