import { CairnError, retrySettingsSchema } from '@cairn/kernel';
import { z } from 'zod';

/** The name the W&B source reports in entries, errors and the config's `use: wandb`. */
export const wandbSourceName = 'wandb';

/** `entity/project/runId`: a W&B run path (the last part of a run's URL). */
export const runPathPattern = /^[^/\s]+\/[^/\s]+\/[^/\s]+$/;

/** Options of {@link createWandbSource}, validated where they enter. */
export const wandbSourceOptionsSchema = z.strictObject({
  /**
   * The W&B API key (default: `WANDB_API_KEY` at creation). Keys starting `wb_at_` are sent as a
   * Bearer token, others as HTTP Basic `api:<key>`. Never logged, never in errors or the cache.
   */
  apiKey: z.string().min(1).optional(),
  /** The API's base URL (a W&B server of your own, or a test server). */
  baseUrl: z.url({ protocol: /^https?$/ }).default('https://api.wandb.ai'),
  /** The entity (user or team) of runs mapped without one: a `wandb/` run folder. */
  entity: z.string().min(1).optional(),
  /** The project of runs mapped without one. */
  project: z.string().min(1).optional(),
  /**
   * Runs by checkpoint: a storage key prefix (the longest that matches the payload key wins) or
   * a checkpoint id, to `entity/project/runId`.
   */
  runs: z
    .record(z.string().min(1), z.string().regex(runPathPattern, 'expected "entity/project/runId"'))
    .default({}),
  /** Look for a `wandb/run-<date>-<id>/` folder beside the payload, up to this many folders up. */
  runFolderDepth: z.number().int().min(0).max(10).default(3),
  /** Where answers are kept between processes; without it, nothing is cached. */
  cacheDirectory: z.string().min(1).optional(),
  /** How long a cached answer is used without asking W&B again. */
  cacheTtlMs: z
    .number()
    .int()
    .nonnegative()
    .default(60 * 60 * 1000),
  /** Answer from the cache only, never from the network (and say so). */
  offline: z.boolean().default(false),
  /** Longest wait for one request, in milliseconds. */
  timeoutMs: z.number().int().positive().default(15_000),
  /** Retries of throttled (429, honouring Retry-After), failed (5xx) or timed-out requests. */
  retry: retrySettingsSchema.optional(),
});

/** What {@link createWandbSource} takes. */
export type WandbSourceOptions = z.input<typeof wandbSourceOptionsSchema>;
/** Options after validation. */
export type ResolvedWandbSourceOptions = z.output<typeof wandbSourceOptionsSchema> & {
  readonly apiKey: string | undefined;
};

/**
 * Validates options and fills in the API key from `environment.WANDB_API_KEY`.
 * @throws CairnError `INVALID_OPTIONS` naming each problem (never a value), or saying how to
 *   give a key when there is none and the source is not offline.
 */
export function resolveWandbSourceOptions(
  options: WandbSourceOptions,
  environment: Readonly<Record<string, string | undefined>> = process.env,
): ResolvedWandbSourceOptions {
  const parsed = wandbSourceOptionsSchema.safeParse(options);
  if (!parsed.success) {
    const problems = parsed.error.issues.map(
      (issue) => `${issue.path.length === 0 ? 'options' : issue.path.join('.')}: ${issue.message}`,
    );
    throw new CairnError({
      code: 'INVALID_OPTIONS',
      backend: wandbSourceName,
      message: `Invalid W&B source options: ${problems.join('; ')}.`,
      details: { problems },
    });
  }
  const apiKey = parsed.data.apiKey ?? (environment.WANDB_API_KEY || undefined);
  if (apiKey === undefined && !parsed.data.offline) {
    throw new CairnError({
      code: 'INVALID_OPTIONS',
      backend: wandbSourceName,
      message:
        'No W&B API key: set WANDB_API_KEY (from https://wandb.ai/authorize) or the apiKey option, or use offline: true to answer from the cache only.',
    });
  }
  return { ...parsed.data, apiKey };
}
