import { randomUUID } from 'node:crypto';
import {
  CairnError,
  type FallbackCandidate,
  isCairnError,
  retryWithFallback,
  scrubErrorText,
} from '@cairn/kernel';
import type { ArchiveEntry } from './archive-entry.js';
import { llmArchiveName } from './archive-options.js';
import { type CallContext, recordFailedAttempt } from './call-context.js';
import type { LlmAnswer, LlmCallOptions, LlmCallResult } from './llm-call.js';
import { classifyLlmError, classifyLlmRetry, llmCallError } from './llm-errors.js';
import { costOf } from './price-table.js';
import { requestHash } from './request-hash.js';

/**
 * One call through the archive (see `LlmArchive.call`): replayed when an identical request was
 * answered and replay is on, else each model in turn under the retry policy, every attempt
 * recorded before the call returns or throws.
 */
export async function plainCall(
  context: CallContext,
  call: LlmCallOptions,
): Promise<LlmCallResult> {
  checkCall(call);
  const hash = requestHash(call.model, call.request);
  const callId = randomUUID();
  const previous = context.replaying ? context.answered(hash) : undefined;
  if (previous !== undefined) return replay(context, previous, call, hash, callId);
  let attempts = 0;
  const candidates: FallbackCandidate<LlmCallResult>[] = [call.model, ...(call.fallback ?? [])].map(
    (model) => ({
      name: model,
      run: async ({ signal }) => {
        attempts += 1;
        const attempt = attempts;
        const started = context.clock.now();
        const timeout = AbortSignal.timeout(context.attemptTimeoutMs);
        const attemptSignal = AbortSignal.any([signal, timeout]);
        const base = {
          run: context.runId,
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
              ? Object.assign(new Error(`no answer within ${context.attemptTimeoutMs} ms`), {
                  name: 'TimeoutError',
                  cause: thrown,
                })
              : thrown;
          await recordFailedAttempt(context, {
            fields: { ...base, servedModel: model },
            model,
            request: call.request,
            started,
            error,
            aborted: signal.aborted,
          });
          throw error;
        }
        const served = answer.servedModel ?? model;
        const promptTokens = answer.promptTokens ?? null;
        const completionTokens = answer.completionTokens ?? null;
        const cost = costOf(served, promptTokens, completionTokens, context.prices);
        if (call.accept !== undefined) {
          try {
            await call.accept(answer);
          } catch (rejection) {
            // A rejected answer was paid for: its tokens, cost and text are kept with the failure.
            const error = rejectedAnswerError(served, rejection);
            const errorClass = classifyLlmError(error);
            const message = scrubErrorText(error.message);
            await context.record(
              {
                ...base,
                at: new Date(context.clock.now()).toISOString(),
                servedModel: served,
                promptTokens,
                completionTokens,
                cost,
                latencyMs: Math.max(0, context.clock.now() - started),
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
        const entry = await context.record(
          {
            ...base,
            at: new Date(context.clock.now()).toISOString(),
            servedModel: served,
            promptTokens,
            completionTokens,
            cost,
            latencyMs: Math.max(0, context.clock.now() - started),
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
    }),
  );
  const outcome = await retryWithFallback(candidates, {
    ...context.retry,
    clock: context.clock,
    classify: classifyLlmRetry,
    ...(call.signal === undefined ? {} : { signal: call.signal }),
  });
  return outcome.value;
}

/** Serves an answered request from the archive, recording the replay. */
async function replay(
  context: CallContext,
  entry: ArchiveEntry,
  call: LlmCallOptions,
  hash: string,
  callId: string,
): Promise<LlmCallResult> {
  const stored = await context.readResponse(entry);
  const answer = stored.answer as LlmAnswer;
  const replayed = await context.record(
    {
      at: new Date(context.clock.now()).toISOString(),
      run: context.runId,
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
