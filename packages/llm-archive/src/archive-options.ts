import {
  CairnError,
  type Clock,
  type JournalEvent,
  type Logger,
  parseRunId,
  type RetryPolicyOptions,
} from '@cairn/kernel';
import { z } from 'zod';
import type { FailureAlert, FailureAlertOptions } from './archive-stats.js';
import { durabilitySchema } from './durability.js';
import type { ModelPrice } from './price-table.js';

/** The archive's name in errors and logs. */
export const llmArchiveName = 'llm-archive';

const price = z.strictObject({
  inputPerMillion: z.number().nonnegative(),
  outputPerMillion: z.number().nonnegative(),
});

/** The plain-data options of {@link openLlmArchive}, validated where they enter. */
export const llmArchiveOptionsSchema = z.strictObject({
  /** The folder archives live in (one subfolder per run). */
  directory: z.string().min(1).default('.cairn/llm-archive'),
  /** How durable a record is before the call returns; see `Durability`. */
  durability: durabilitySchema.default('fsync'),
  /** Prices per model, over the built-in table. */
  prices: z.record(z.string(), price).default({}),
  /**
   * Serve a request identical to one already answered from the archive: `auto` (default) on a
   * resumed run only, `true` always, `false` never.
   */
  replay: z.union([z.boolean(), z.literal('auto')]).default('auto'),
  /** Longest wait for one attempt, in milliseconds (default 120,000). */
  attemptTimeoutMs: z.number().int().positive().default(120_000),
  /** The failure-rate alert: over the last `window` attempts, above `threshold`. */
  alert: z
    .strictObject({
      window: z.number().int().min(1).optional(),
      threshold: z.number().min(0).max(1).optional(),
    })
    .default({}),
});

/** A run the archive records for: its id, or a started run (whose journal hears of calls). */
export type ArchiveRun =
  | string
  | { readonly id: string; readonly attempt?: number; emit?(event: JournalEvent): void };

/** What {@link openLlmArchive} takes. */
export type LlmArchiveOptions = z.input<typeof llmArchiveOptionsSchema> & {
  /** The run the calls belong to. */
  readonly run: ArchiveRun;
  /** Retry settings (attempts, waits, deadline); the classifier is the LLM one. */
  readonly retry?: Omit<RetryPolicyOptions, 'classify' | 'signal' | 'clock'>;
  /** Time for waits and latencies (tests drive it). */
  readonly clock?: Clock;
  /** Called when the failure-rate alert fires. */
  readonly onAlert?: (alert: FailureAlert) => void;
  /** Where repairs and alerts are logged. Silent by default. */
  readonly logger?: Logger;
};

/** Validated options. */
export type ResolvedArchiveOptions = z.output<typeof llmArchiveOptionsSchema> & {
  readonly prices: Readonly<Record<string, ModelPrice>>;
  readonly alert: FailureAlertOptions;
};

/**
 * Validates options.
 * @throws CairnError `INVALID_OPTIONS` naming the option and what was expected.
 */
export function resolveArchiveOptions(options: LlmArchiveOptions): {
  readonly settings: ResolvedArchiveOptions;
  readonly runId: string;
} {
  const {
    run,
    retry: _retry,
    clock: _clock,
    onAlert: _onAlert,
    logger: _logger,
    ...plain
  } = options ?? ({} as LlmArchiveOptions);
  const parsed = llmArchiveOptionsSchema.safeParse(plain);
  if (!parsed.success) {
    const problems = parsed.error.issues
      .map((issue) => `${issue.path.join('.') || '(options)'}: ${issue.message}`)
      .join('; ');
    throw new CairnError({
      code: 'INVALID_OPTIONS',
      backend: llmArchiveName,
      message: `The LLM archive's options are not valid: ${problems}.`,
      cause: parsed.error,
    });
  }
  const runId = typeof run === 'string' ? run : run?.id;
  if (typeof runId !== 'string') {
    throw new CairnError({
      code: 'INVALID_OPTIONS',
      backend: llmArchiveName,
      message:
        'The LLM archive needs the run its calls belong to: pass `run` (a run id such as "generate/20250810T143022.123Z-k3f9a2", or the run startRun returned).',
    });
  }
  parseRunId(runId);
  return { settings: parsed.data, runId };
}
