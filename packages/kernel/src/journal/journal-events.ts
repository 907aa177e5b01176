import { z } from 'zod';
import { scrubErrorText } from '../secrets/scrub-error-text.js';

/**
 * The typed events a run writes to its journal (format version 1). The journal is what the
 * monitor reads, locally or from S3 on another machine, so every field is plain JSON and
 * every event names the step (and item) it is about.
 *
 * Readers check every entry against these schemas, so a reader only understands the event
 * types it was built with. Adding an optional field keeps version 1; a new event type, a
 * renamed or removed field makes version 2 (readers keep accepting version 1). Plugins that
 * need their own events (the LLM archive's calls, notes) use `custom` with a `name`, which
 * every version-1 reader accepts.
 */
export const journalFormatVersion = 1;

/** An error as the journal keeps it: never a stack (that goes to the error record). */
export const errorSummarySchema = z.object({
  /** The error's class name, e.g. `TypeError` or `CairnError`. */
  name: z.string(),
  /** The message, secrets already scrubbed by whoever wrote it. */
  message: z.string(),
  /** A CairnError code, when it is one. */
  code: z.string().optional(),
});
/** An error as the journal keeps it. */
export type ErrorSummary = z.infer<typeof errorSummarySchema>;

const finalRunState = z.enum(['COMPLETED', 'FAILED', 'INTERRUPTED']);
const step = z.string();
const item = z.number().int().nonnegative();
const count = z.number().int().nonnegative();
const milliseconds = z.number().nonnegative();

const parameterValues = z.record(z.string(), z.unknown());

/** Counts per parameter value: `{ temperature: { "0.2": { done: 3, failed: 1 } } }`. */
export const coverageSchema = z.record(
  z.string(),
  z.record(z.string(), z.object({ done: count, failed: count })),
);
/** Counts per parameter value of a sweep. */
export type Coverage = z.infer<typeof coverageSchema>;

/** Every journal event, discriminated by `type`. */
export const journalEventSchema = z.discriminatedUnion('type', [
  z.object({
    type: z.literal('run-started'),
    pipeline: z.string(),
    /** 1 for a new run, 2 and up each time it is resumed. */
    attempt: z.number().int().positive(),
    host: z.string(),
    pid: z.number().int(),
    /** Steps this attempt will run, in order. */
    steps: z.array(step).optional(),
  }),
  z.object({ type: z.literal('run-heartbeat') }),
  z.object({
    type: z.literal('run-finished'),
    state: finalRunState,
    durationMs: milliseconds,
    /** Why it stopped, e.g. `SIGINT`, for INTERRUPTED and FAILED runs. */
    reason: z.string().optional(),
    error: errorSummarySchema.optional(),
  }),
  z.object({
    type: z.literal('step-started'),
    step,
    /** Position of the step in the pipeline, from 0. */
    index: count,
  }),
  z.object({
    type: z.literal('step-skipped'),
    step,
    /** The checkpoint its output was loaded from. */
    checkpoint: z.string(),
  }),
  z.object({
    type: z.literal('step-progress'),
    step,
    done: count,
    failed: count,
    total: count,
    /** Items that were already done before this attempt (resumed). */
    skipped: count.optional(),
    itemsPerSecond: z.number().nonnegative(),
    elapsedMs: milliseconds,
    /** Undefined until there is a rate to extrapolate from. */
    etaMs: milliseconds.optional(),
  }),
  z.object({
    type: z.literal('step-completed'),
    step,
    durationMs: milliseconds,
    /** The checkpoint holding the step's output. */
    checkpoint: z.string().optional(),
    items: z.object({ done: count, failed: count, total: count }).optional(),
    coverage: coverageSchema.optional(),
  }),
  z.object({
    type: z.literal('step-failed'),
    step,
    error: errorSummarySchema,
    /** Key of the error record with the stack. */
    errorRecord: z.string().optional(),
  }),
  z.object({
    type: z.literal('checkpoint-saved'),
    step,
    checkpoint: z.string(),
    size: count,
    sha256: z.string(),
    durationMs: milliseconds,
    metrics: z.record(z.string(), z.number()).optional(),
  }),
  z.object({
    type: z.literal('checkpoint-loaded'),
    step,
    checkpoint: z.string(),
  }),
  z.object({
    type: z.literal('storage-problem'),
    /** The mirror event's type, e.g. `copy-corrupt` or `copy-repaired`. */
    problem: z.string(),
    key: z.string(),
    /** Which copy, e.g. `primary (fs)` or `backup 1 (s3)`. */
    copy: z.string(),
    detail: z.string().optional(),
  }),
  z.object({
    type: z.literal('retry-scheduled'),
    step: step.optional(),
    item: item.optional(),
    /** The attempt that failed, from 1. */
    attempt: z.number().int().positive(),
    delayMs: milliseconds,
    error: errorSummarySchema,
  }),
  z.object({
    type: z.literal('item-completed'),
    step,
    item,
    attempt: z.number().int().positive(),
    durationMs: milliseconds,
    parameters: parameterValues.optional(),
  }),
  z.object({
    type: z.literal('item-failed'),
    step,
    item,
    attempt: z.number().int().positive(),
    error: errorSummarySchema,
    parameters: parameterValues.optional(),
  }),
  z.object({
    type: z.literal('sweep-coverage'),
    step,
    coverage: coverageSchema,
  }),
  z.object({
    /** Anything else a plugin or the user wants in the journal (LLM calls, notes). */
    type: z.literal('custom'),
    name: z.string().min(1),
    data: z.unknown().optional(),
  }),
]);

/** One journal event. */
export type JournalEvent = z.infer<typeof journalEventSchema>;
/** The `type` of a journal event. */
export type JournalEventType = JournalEvent['type'];
/** The journal event with this `type`. */
export type JournalEventOf<Type extends JournalEventType> = Extract<JournalEvent, { type: Type }>;

/**
 * One line of a journal segment. `prev` is the SHA-256 (hex) of the previous line's exact
 * bytes (for the first entry, of `cairn.journal/v1:<run id>`), so any edit, reordering or
 * removal in the middle breaks the chain.
 */
export const journalEntrySchema = z.object({
  /** Format version. */
  v: z.literal(journalFormatVersion),
  /** Position in the journal, from 1, without gaps. */
  seq: z.number().int().positive(),
  /** When the event happened (ISO 8601). */
  time: z.string(),
  /** Hash of the previous line. */
  prev: z.string().regex(/^[0-9a-f]{64}$/),
  /** The event. */
  event: journalEventSchema,
});
/** One line of a journal segment. */
export type JournalEntry = z.infer<typeof journalEntrySchema>;

/**
 * Converts any thrown value to the summary the journal, run records and logs keep; secrets
 * its message quotes are replaced by `[redacted]` (see `scrubErrorText`).
 */
export function summariseError(error: unknown): ErrorSummary {
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code;
    return {
      name: error.name,
      message: scrubErrorText(error.message),
      ...(typeof code === 'string' ? { code } : {}),
    };
  }
  return { name: 'NonError', message: scrubErrorText(String(error)) };
}
