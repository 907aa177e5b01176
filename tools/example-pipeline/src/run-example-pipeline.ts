import { isCairnError, type RetryPolicyOptions, readAll, retry, type Storage } from '@cairn/kernel';
import type { Candidate } from './simulated-scorer.js';

/** Something that scores a candidate; the simulated scorer or a real remote call. */
export interface Scorer {
  score(candidate: Candidate, signal: AbortSignal): Promise<number>;
}

/** What the pipeline reports as it goes; the command line prints these. */
export type PipelineEvent =
  | { readonly type: 'step-resumed'; readonly step: string; readonly reason: string }
  | {
      readonly type: 'step-started';
      readonly step: string;
      readonly total: number;
      readonly done: number;
    }
  | {
      readonly type: 'item-done';
      readonly step: string;
      readonly id: string;
      readonly done: number;
      readonly total: number;
    }
  | {
      readonly type: 'item-failed';
      readonly step: string;
      readonly id: string;
      readonly message: string;
    }
  | {
      readonly type: 'retry-scheduled';
      readonly step: string;
      readonly id: string;
      readonly attempt: number;
      readonly delayMs: number;
      readonly message: string;
    }
  | { readonly type: 'step-completed'; readonly step: string };

/** The pipeline's final result. */
export interface ExampleReport {
  readonly scored: number;
  readonly failed: readonly string[];
  readonly meanScore: number;
  readonly best: readonly { readonly id: string; readonly score: number }[];
}

/** Options for {@link runExamplePipeline}. */
export interface RunExamplePipelineOptions {
  readonly storage: Storage;
  readonly scorer: Scorer;
  /** How many candidates the generate step makes. */
  readonly itemCount: number;
  /** How many items are scored at once. */
  readonly concurrency: number;
  /** Retry policy for each scoring call. */
  readonly retryPolicy: RetryPolicyOptions;
  /** Stops the run: finished items stay stored, the rest is done by the next run. */
  readonly signal?: AbortSignal;
  readonly onEvent?: (event: PipelineEvent) => void;
  /** Key prefix for everything the pipeline stores. */
  readonly prefix?: string;
}

/** How a run ended. */
export type ExampleRunResult =
  | { readonly status: 'completed'; readonly report: ExampleReport }
  | { readonly status: 'interrupted'; readonly scored: number; readonly total: number };

/**
 * Three steps — generate candidates, score each, write a report — where every finished piece
 * of work is stored as soon as it exists, and a rerun loads it instead of recomputing: a step
 * whose result exists is skipped, and scoring does only the items without a stored score.
 */
export async function runExamplePipeline(
  options: RunExamplePipelineOptions,
): Promise<ExampleRunResult> {
  const prefix = options.prefix ?? 'example';
  const emit = options.onEvent ?? (() => {});
  const signal = options.signal ?? new AbortController().signal;

  const existingReport = await readJson<ExampleReport>(options.storage, `${prefix}/report.json`);
  // A stored report with failed items is not the end: the rerun tries those items again.
  if (existingReport && existingReport.failed.length === 0) {
    emit({
      type: 'step-resumed',
      step: 'report',
      reason: 'the report of an earlier run is stored',
    });
    return { status: 'completed', report: existingReport };
  }

  const candidates = await generate(options, prefix, emit);
  const scores = await score(options, prefix, candidates, signal, emit);
  if (signal.aborted)
    return { status: 'interrupted', scored: scores.size, total: candidates.length };

  const failed = candidates.map((candidate) => candidate.id).filter((id) => !scores.has(id));
  const ranked = [...scores]
    .map(([id, value]) => ({ id, score: value }))
    .sort((a, b) => b.score - a.score);
  const report: ExampleReport = {
    scored: scores.size,
    failed,
    meanScore: ranked.reduce((sum, entry) => sum + entry.score, 0) / Math.max(1, ranked.length),
    best: ranked.slice(0, 3),
  };
  emit({ type: 'step-started', step: 'report', total: 1, done: 0 });
  await writeJson(options.storage, `${prefix}/report.json`, report);
  emit({ type: 'step-completed', step: 'report' });
  return { status: 'completed', report };
}

async function generate(
  options: RunExamplePipelineOptions,
  prefix: string,
  emit: (event: PipelineEvent) => void,
): Promise<Candidate[]> {
  const key = `${prefix}/candidates.json`;
  const stored = await readJson<Candidate[]>(options.storage, key);
  if (stored) {
    emit({
      type: 'step-resumed',
      step: 'generate',
      reason: `${stored.length} candidates are stored`,
    });
    return stored;
  }
  emit({ type: 'step-started', step: 'generate', total: options.itemCount, done: 0 });
  const candidates = Array.from({ length: options.itemCount }, (_, index) => ({
    id: `candidate-${String(index + 1).padStart(4, '0')}`,
    text: `Answer ${index + 1}: ${'the quick brown fox jumps over the lazy dog '.slice(0, 10 + ((index * 7) % 30))}`,
  }));
  await writeJson(options.storage, key, candidates);
  emit({ type: 'step-completed', step: 'generate' });
  return candidates;
}

async function score(
  options: RunExamplePipelineOptions,
  prefix: string,
  candidates: readonly Candidate[],
  signal: AbortSignal,
  emit: (event: PipelineEvent) => void,
): Promise<Map<string, number>> {
  const scores = new Map<string, number>();
  // Finished items are found by listing the scores folder; each stored score is a few bytes.
  for await (const info of options.storage.list({ prefix: `${prefix}/scores/` })) {
    const stored = await readJson<{ score: number }>(options.storage, info.key);
    if (stored)
      scores.set(info.key.slice(`${prefix}/scores/`.length, -'.json'.length), stored.score);
  }
  const pending = candidates.filter((candidate) => !scores.has(candidate.id));
  if (scores.size > 0) {
    emit({
      type: 'step-resumed',
      step: 'score',
      reason: `${scores.size} of ${candidates.length} scores are stored`,
    });
  }
  emit({ type: 'step-started', step: 'score', total: candidates.length, done: scores.size });

  let next = 0;
  const worker = async () => {
    while (!signal.aborted && next < pending.length) {
      const candidate = pending[next++] as Candidate;
      try {
        const value = await retry(
          ({ signal: attemptSignal }) => options.scorer.score(candidate, attemptSignal),
          {
            ...options.retryPolicy,
            signal,
            onAttempt: (attempt) => {
              if (attempt.delayMs === undefined) return;
              emit({
                type: 'retry-scheduled',
                step: 'score',
                id: candidate.id,
                attempt: attempt.attempt,
                delayMs: attempt.delayMs,
                message:
                  attempt.error instanceof Error ? attempt.error.message : String(attempt.error),
              });
            },
          },
        );
        await writeJson(options.storage, `${prefix}/scores/${candidate.id}.json`, { score: value });
        scores.set(candidate.id, value);
        emit({
          type: 'item-done',
          step: 'score',
          id: candidate.id,
          done: scores.size,
          total: candidates.length,
        });
      } catch (error) {
        if (signal.aborted) return;
        // One bad item must not stop the batch: record it and go on; a rerun tries it again.
        const message = error instanceof Error ? error.message : String(error);
        await writeJson(options.storage, `${prefix}/failures/${candidate.id}.json`, {
          id: candidate.id,
          message,
          code: isCairnError(error) ? error.code : undefined,
          time: new Date().toISOString(),
        });
        emit({ type: 'item-failed', step: 'score', id: candidate.id, message });
      }
    }
  };
  await Promise.all(Array.from({ length: options.concurrency }, worker));
  if (!signal.aborted) emit({ type: 'step-completed', step: 'score' });
  return scores;
}

async function readJson<T>(storage: Storage, key: string): Promise<T | undefined> {
  try {
    const { body } = await storage.get(key);
    return JSON.parse((await readAll(body)).toString('utf8')) as T;
  } catch (error) {
    if (isCairnError(error, 'NOT_FOUND')) return undefined;
    throw error;
  }
}

async function writeJson(storage: Storage, key: string, value: unknown): Promise<void> {
  await storage.put(key, `${JSON.stringify(value, null, 2)}\n`, {
    contentType: 'application/json',
  });
}
