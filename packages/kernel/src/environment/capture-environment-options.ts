import { z } from 'zod';
import { CairnError } from '../errors/cairn-error.js';
import type { EnvironmentLevel } from './environment-record.js';

/** Longest git diff kept by default (10 MiB); longer diffs are cut and say so. */
export const defaultMaxDiffBytes = 10 * 1024 * 1024;

/** How long one git command may take by default. */
export const defaultGitTimeoutMs = 15_000;

/** Options of {@link captureEnvironment}, validated where they enter. */
export const captureEnvironmentOptionsSchema = z.object({
  /** What to capture: 0 nothing, 1 runtime + packages + commit, 2 + diff and system, 3 + variables. */
  level: z.union([z.literal(0), z.literal(1), z.literal(2), z.literal(3)], {
    error: 'expected 0, 1, 2 or 3',
  }),
  /** Where the project is: its package.json and git checkout are found from here. */
  projectDirectory: z.string().min(1).optional(),
  /** The environment variables to record at level 3 (default `process.env`). */
  environment: z.record(z.string(), z.string().optional()).optional(),
  /** More variable names whose values are secret, matched whole and case-insensitively. */
  secretNames: z.array(z.string().min(1)).optional(),
  /** Longest one git command may take, in milliseconds. */
  gitTimeoutMs: z.number().int().positive().default(defaultGitTimeoutMs),
  /** Longest git diff kept, in bytes; a longer one is cut at a line end and says so. */
  maxDiffBytes: z.number().int().positive().default(defaultMaxDiffBytes),
  /** The clock, in milliseconds since the epoch (default `Date.now`); injected by tests. */
  now: z
    .custom<() => number>((value) => typeof value === 'function', {
      message: 'expected a function returning milliseconds since the epoch',
    })
    .optional(),
});

/** What callers pass to {@link captureEnvironment}. */
export interface CaptureEnvironmentOptions {
  /** What to capture: 0 nothing, 1 runtime + packages + commit, 2 + diff and system, 3 + variables. */
  readonly level: EnvironmentLevel;
  /** Where the project is (default `process.cwd()`): package.json and git are found from here. */
  readonly projectDirectory?: string;
  /** The environment variables to record at level 3 (default `process.env`). */
  readonly environment?: NodeJS.ProcessEnv;
  /** More variable names whose values are secret, matched whole and case-insensitively. */
  readonly secretNames?: readonly string[];
  /** Longest one git command may take, in milliseconds (default 15 s). */
  readonly gitTimeoutMs?: number;
  /** Longest git diff kept, in bytes (default 10 MiB); a longer one is cut and says so. */
  readonly maxDiffBytes?: number;
  /** The clock, in milliseconds since the epoch (default `Date.now`); injected by tests. */
  readonly now?: () => number;
}

/** Options after validation, with defaults applied. */
export interface ResolvedCaptureOptions {
  readonly level: EnvironmentLevel;
  readonly projectDirectory: string;
  readonly environment: Readonly<Record<string, string | undefined>>;
  readonly secretNames: readonly string[];
  readonly gitTimeoutMs: number;
  readonly maxDiffBytes: number;
  readonly now: () => number;
}

/**
 * Validates the options of a capture.
 *
 * @throws CairnError `INVALID_OPTIONS` listing every problem with its option name.
 */
export function resolveCaptureOptions(options: CaptureEnvironmentOptions): ResolvedCaptureOptions {
  const parsed = captureEnvironmentOptionsSchema.safeParse(options);
  if (!parsed.success) {
    const problems = parsed.error.issues.map(
      (issue) => `${issue.path.length === 0 ? 'options' : issue.path.join('.')}: ${issue.message}`,
    );
    throw new CairnError({
      code: 'INVALID_OPTIONS',
      backend: 'environment',
      message: `Invalid environment capture options: ${problems.join('; ')}. Fix them in the call to captureEnvironment.`,
      details: { problems },
    });
  }
  const value = parsed.data;
  return {
    level: value.level,
    projectDirectory: value.projectDirectory ?? process.cwd(),
    // The caller's object, not zod's copy: `process.env` can be large and is read only once.
    environment: options.environment ?? process.env,
    secretNames: value.secretNames ?? [],
    gitTimeoutMs: value.gitTimeoutMs,
    maxDiffBytes: value.maxDiffBytes,
    now: value.now ?? Date.now,
  };
}
