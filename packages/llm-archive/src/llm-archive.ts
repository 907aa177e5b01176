import { randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  CairnError,
  type FallbackCandidate,
  isCairnError,
  retryWithFallback,
  scrubErrorText,
  silentLogger,
  systemClock,
} from '@cairn/kernel';
import type { z } from 'zod';
import type { ArchiveEntry } from './archive-entry.js';
import {
  type ArchiveRun,
  type LlmArchiveOptions,
  llmArchiveName,
  resolveArchiveOptions,
} from './archive-options.js';
import { type ArchiveStats, FailureWatch, StatsKeeper } from './archive-stats.js';
import { type ArchiveRepair, ArchiveWriter } from './archive-writer.js';
import type { CallContext, StoredResponse } from './call-context.js';
import { parseJsonAnswer } from './extract-json.js';
import type { LlmAnswer, LlmCallOptions, LlmCallResult } from './llm-call.js';
import { classifyLlmError, classifyLlmRetry, httpStatusOf, llmCallError } from './llm-errors.js';
import { costOf } from './price-table.js';
import { requestHash } from './request-hash.js';
import { type LlmStreamCallOptions, type LlmStreamCallResult, streamCall } from './stream-call.js';
import { type ArchiveVerification, verifyArchive } from './verify-archive.js';

/** A run's LLM archive: record calls, replay answered ones, report stats. */
export interface LlmArchive {
  /** The run. */
  readonly run: string;
  /** Where this run's archive is. */
  readonly folder: string;
  /** Whether identical answered requests are served from the archive. */
  readonly replaying: boolean;
  /** What opening repaired (a torn tail), if anything. */
  readonly repair: ArchiveRepair | undefined;
  /**
   * Makes an LLM call through the archive: replays it when an identical request was answered
   * (and replay is on), else tries `model` then each `fallback` under the retry policy; every
   * attempt is recorded, durably, before this returns or throws.
   * @throws the last attempt's error (a CairnError with `details.errorClass`), or
   *   `RETRIES_EXHAUSTED` listing every model's failure.
   */
  call(options: LlmCallOptions): Promise<LlmCallResult>;
  /**
   * A call whose answer must hold JSON matching `schema` (in a code fence or amid prose is
   * fine): an answer that does not is recorded as a failed attempt, its raw text kept, and
   * asked again under the retry policy. Returns the parsed value with the call's result.
   */
  callJson<Schema extends z.ZodType>(
    options: Omit<LlmCallOptions, 'accept'> & { readonly schema: Schema },
  ): Promise<LlmCallResult & { readonly value: z.output<Schema> }>;
  /**
   * Streams an LLM call through the archive: opening the stream is retried and falls back like
   * `call`; the stream ends for the caller only once the answer is recorded, and a cancelled
   * stream is recorded with its partial text. Replayed from the archive like `call`.
   */
  callStream(options: LlmStreamCallOptions): Promise<LlmStreamCallResult>;
  /** Stats of the run and per model. */
  stats(): ArchiveStats;
  /** Checks the archive end to end (see `verifyArchive`). */
  verify(): Promise<ArchiveVerification>;
  /** Waits for records in flight and closes the index. */
  close(): Promise<void>;
}

function isResumed(run: ArchiveRun, existing: readonly ArchiveEntry[]): boolean {
  return (typeof run === 'object' && (run.attempt ?? 1) > 1) || existing.length > 0;
}

/**
 * Opens the archive of a run (creating it, or continuing it after a crash: a torn last entry
 * is repaired) and returns the recorder.
 *
 * @throws CairnError `INVALID_OPTIONS` for bad options; `CORRUPT_DATA` when an entry before the
 *   end of the index is damaged.
 */
export async function openLlmArchive(options: LlmArchiveOptions): Promise<LlmArchive> {
  const { settings, runId } = resolveArchiveOptions(options);
  const logger = options.logger ?? silentLogger;
  const clock = options.clock ?? systemClock;
  const writer = await ArchiveWriter.open(settings.directory, runId, settings.durability, logger);
  const stats = new StatsKeeper();
  const watch = new FailureWatch(settings.alert);
  const answered = new Map<string, ArchiveEntry>();
  for (const entry of writer.existing) {
    stats.add(entry);
    if (entry.status === 'ok') answered.set(entry.requestHash, entry);
  }
  const replaying =
    settings.replay === 'auto' ? isResumed(options.run, writer.existing) : settings.replay;
  const emit = typeof options.run === 'object' ? options.run.emit?.bind(options.run) : undefined;

  const record = async (
    fields: Omit<ArchiveEntry, 'seq' | 'prev' | 'response' | 'responseSha256'>,
    response: StoredResponse,
  ): Promise<ArchiveEntry> => {
    const entry = await writer.record(fields, Buffer.from(JSON.stringify(response)));
    stats.add(entry);
    if (entry.status === 'ok') answered.set(entry.requestHash, entry);
    emit?.({
      type: 'custom',
      name: 'llm-call',
      data: {
        seq: entry.seq,
        model: entry.servedModel ?? entry.requestedModel,
        status: entry.status,
        attempt: entry.attempt,
        latencyMs: entry.latencyMs,
        promptTokens: entry.promptTokens,
        completionTokens: entry.completionTokens,
        cost: entry.cost,
        ...(entry.errorClass === undefined ? {} : { errorClass: entry.errorClass }),
        ...(entry.replayed === true ? { replayed: true } : {}),
        ...(entry.step === undefined ? {} : { step: entry.step }),
      },
    });
    for (const alert of watch.add(entry)) {
      logger.warn({ ...alert }, 'LLM failure rate above the alert threshold');
      emit?.({ type: 'custom', name: 'llm-alert', data: { ...alert } });
      options.onAlert?.(alert);
    }
    return entry;
  };

  const replay = async (
    entry: ArchiveEntry,
    call: LlmCallOptions,
    hash: string,
    callId: string,
  ) => {
    const stored = await context.readResponse(entry);
    const answer = stored.answer as LlmAnswer;
    const replayed = await record(
      {
        at: new Date(clock.now()).toISOString(),
        run: runId,
        ...(call.step === undefined ? {} : { step: call.step }),
        ...(call.item === undefined ? {} : { item: call.item }),
        requestedModel: call.model,
        ...(entry.servedModel === undefined ? {} : { servedModel: entry.servedModel }),
        ...(entry.provider === undefined ? {} : { provider: entry.provider }),
        attempt: 1,
        call: callId,
        promptTokens: entry.promptTokens,
        completionTokens: entry.completionTokens,
        cost: { usd: 0 },
        latencyMs: 0,
        status: 'ok',
        requestHash: hash,
        replayed: true,
      },
      stored,
    );
    return {
      ...answer,
      requestedModel: call.model,
      model: entry.servedModel ?? stored.model,
      attempts: 1,
      replayed: true,
      seq: replayed.seq,
      requestHash: hash,
    } satisfies LlmCallResult;
  };

  const context: CallContext = {
    runId,
    folder: writer.folder,
    clock,
    prices: settings.prices,
    attemptTimeoutMs: settings.attemptTimeoutMs,
    retry: options.retry,
    replaying,
    answered: (hash) => answered.get(hash),
    record,
    readResponse: async (entry) =>
      JSON.parse(await readFile(join(writer.folder, entry.response), 'utf8')) as StoredResponse,
  };

  const archive: LlmArchive = {
    run: runId,
    folder: writer.folder,
    replaying,
    repair: writer.repair,

    async call(call) {
      checkCall(call);
      const hash = requestHash(call.model, call.request);
      const callId = randomUUID();
      const previous = replaying ? answered.get(hash) : undefined;
      if (previous !== undefined) return replay(previous, call, hash, callId);
      let attempts = 0;
      const candidates: FallbackCandidate<LlmCallResult>[] = [
        call.model,
        ...(call.fallback ?? []),
      ].map((model) => ({
        name: model,
        run: async ({ signal }) => {
          attempts += 1;
          const attempt = attempts;
          const started = clock.now();
          const timeout = AbortSignal.timeout(settings.attemptTimeoutMs);
          const attemptSignal = AbortSignal.any([signal, timeout]);
          const base = {
            run: runId,
            ...(call.step === undefined ? {} : { step: call.step }),
            ...(call.item === undefined ? {} : { item: call.item }),
            requestedModel: call.model,
            ...(call.provider === undefined ? {} : { provider: call.provider }),
            attempt,
            call: callId,
            requestHash: hash,
          };
          let answer: LlmAnswer;
          try {
            answer = await untilAborted(
              call.invoke({ model, attempt, signal: attemptSignal }),
              attemptSignal,
            );
          } catch (thrown) {
            const error =
              timeout.aborted && !signal.aborted
                ? Object.assign(new Error(`no answer within ${settings.attemptTimeoutMs} ms`), {
                    name: 'TimeoutError',
                    cause: thrown,
                  })
                : thrown;
            const errorClass = signal.aborted ? 'Aborted' : classifyLlmError(error);
            const httpStatus = httpStatusOf(error);
            const message = scrubErrorText(error instanceof Error ? error.message : String(error));
            await record(
              {
                ...base,
                at: new Date(clock.now()).toISOString(),
                servedModel: model,
                promptTokens: null,
                completionTokens: null,
                cost: 'unknown',
                latencyMs: Math.max(0, clock.now() - started),
                status: signal.aborted ? 'aborted' : 'error',
                errorClass,
                ...(httpStatus === undefined ? {} : { httpStatus }),
              },
              {
                format: 'cairn.llm-response/v1',
                call: callId,
                attempt,
                model,
                request: call.request,
                status: signal.aborted ? 'aborted' : 'error',
                error: {
                  class: errorClass,
                  message,
                  ...(httpStatus === undefined ? {} : { httpStatus }),
                },
              },
            );
            throw error;
          }
          const served = answer.servedModel ?? model;
          const promptTokens = answer.promptTokens ?? null;
          const completionTokens = answer.completionTokens ?? null;
          const cost = costOf(served, promptTokens, completionTokens, settings.prices);
          if (call.accept !== undefined) {
            try {
              await call.accept(answer);
            } catch (rejection) {
              // A rejected answer was paid for: its tokens, cost and text are kept with the failure.
              const error = rejectedAnswerError(served, rejection);
              const errorClass = classifyLlmError(error);
              const message = scrubErrorText(error.message);
              await record(
                {
                  ...base,
                  at: new Date(clock.now()).toISOString(),
                  servedModel: served,
                  promptTokens,
                  completionTokens,
                  cost,
                  latencyMs: Math.max(0, clock.now() - started),
                  status: 'error',
                  errorClass,
                },
                {
                  format: 'cairn.llm-response/v1',
                  call: callId,
                  attempt,
                  model,
                  request: call.request,
                  status: 'error',
                  answer,
                  error: { class: errorClass, message },
                },
              );
              throw error;
            }
          }
          const entry = await record(
            {
              ...base,
              at: new Date(clock.now()).toISOString(),
              servedModel: served,
              promptTokens,
              completionTokens,
              cost,
              latencyMs: Math.max(0, clock.now() - started),
              ...(answer.timeToFirstTokenMs === undefined
                ? {}
                : { timeToFirstTokenMs: answer.timeToFirstTokenMs }),
              ...(answer.stream === undefined ? {} : { stream: answer.stream }),
              status: answer.partial === true ? 'aborted' : 'ok',
            },
            {
              format: 'cairn.llm-response/v1',
              call: callId,
              attempt,
              model,
              request: call.request,
              status: answer.partial === true ? 'aborted' : 'ok',
              answer,
            },
          );
          return {
            ...answer,
            requestedModel: call.model,
            model: served,
            attempts: attempt,
            replayed: false,
            seq: entry.seq,
            requestHash: hash,
          };
        },
      }));
      const outcome = await retryWithFallback(candidates, {
        ...options.retry,
        clock,
        classify: classifyLlmRetry,
        ...(call.signal === undefined ? {} : { signal: call.signal }),
      });
      return outcome.value;
    },

    async callJson(jsonOptions) {
      const { schema, ...callOptions } = jsonOptions;
      const result = await archive.call({
        ...callOptions,
        accept: (answer: LlmAnswer) => {
          parseJsonAnswer(answer.text, schema);
        },
      });
      return { ...result, value: parseJsonAnswer(result.text, schema) };
    },

    callStream: (streamOptions) => streamCall(context, streamOptions),
    stats: () => stats.snapshot(),
    verify: () => verifyArchive(settings.directory, runId),
    close: () => writer.close(),
  };
  return archive;
}

/** The error of an answer `accept` rejected: retryable `InvalidResponse` unless it says otherwise. */
function rejectedAnswerError(model: string, rejection: unknown): CairnError {
  if (isCairnError(rejection)) return rejection;
  return llmCallError({
    model,
    errorClass: 'InvalidResponse',
    message: `the answer was rejected: ${rejection instanceof Error ? rejection.message : String(rejection)}`,
    cause: rejection,
  });
}

/**
 * `work`, or a rejection as soon as `signal` aborts: an attempt that ignores its signal (a
 * client without cancellation) must not hold the call past its timeout. What it resolves to
 * later is dropped, and its failure observed.
 */
function untilAborted<T>(work: Promise<T>, signal: AbortSignal): Promise<T> {
  work.catch(() => undefined);
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    work.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(error);
      },
    );
  });
}

function checkCall(call: LlmCallOptions): void {
  const problem =
    typeof call?.model !== 'string' || call.model === ''
      ? '"model" must be a non-empty string'
      : typeof call.invoke !== 'function'
        ? '"invoke" must be a function that asks the model'
        : call.fallback !== undefined &&
            (!Array.isArray(call.fallback) ||
              call.fallback.some((model) => typeof model !== 'string' || model === ''))
          ? '"fallback" must be a list of model names'
          : new Set([call.model, ...(call.fallback ?? [])]).size !==
              1 + (call.fallback?.length ?? 0)
            ? 'a model appears twice in model and fallback'
            : undefined;
  if (problem === undefined) return;
  throw new CairnError({
    code: 'INVALID_OPTIONS',
    backend: llmArchiveName,
    message: `An LLM call's options are not valid: ${problem}.`,
  });
}
