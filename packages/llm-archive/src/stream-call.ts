import { randomUUID } from 'node:crypto';
import { type FallbackCandidate, retryWithFallback, scrubErrorText } from '@cairn/kernel';
import { type CallContext, type EntryFields, recordFailedAttempt } from './call-context.js';
import type { LlmAnswer, LlmAttempt } from './llm-call.js';
import { classifyLlmError, classifyLlmRetry } from './llm-errors.js';
import { costOf } from './price-table.js';
import { requestHash } from './request-hash.js';

/** What {@link LlmArchive.callStream} takes. */
export interface LlmStreamCallOptions {
  /** The model asked for. */
  readonly model: string;
  /** Models tried in order when the first cannot be opened. */
  readonly fallback?: readonly string[];
  /** The request as JSON: hashed for replay and kept in the archive. */
  readonly request: unknown;
  /**
   * Opens the stream with `model`: resolves once the response has started (headers in), or
   * throws (an HTTP error with `status` is classified and retried like any call).
   */
  readonly open: (attempt: LlmAttempt) => Promise<ReadableStream<Uint8Array>>;
  /** Reads the whole streamed text (e.g. SSE) into the answer: text, model, tokens. */
  readonly summarise: (streamed: string) => LlmAnswer;
  /** Whether a chunk carries the first token (for time to first token); default: any chunk. */
  readonly carriesToken?: (chunk: string) => boolean;
  readonly step?: string;
  readonly item?: number;
  readonly provider?: string;
  readonly signal?: AbortSignal;
}

/** A streamed call, once its stream has started. */
export interface LlmStreamCallResult {
  /**
   * The bytes as they arrive. It ends only after the attempt's record is durable; cancelling it
   * records the partial answer (status `aborted`); an error mid-stream is recorded, then raised.
   */
  readonly stream: ReadableStream<Uint8Array>;
  /** The model whose stream this is. */
  readonly model: string;
  /** Attempts made to open it (1 when replayed). */
  readonly attempts: number;
  /** True when served from the archive (the stored stream, played back at once). */
  readonly replayed: boolean;
  /** The request hash. */
  readonly requestHash: string;
}

/** Text of bytes, tolerating a multi-byte character split across chunks. */
function decoderFor(): (chunk: Uint8Array | undefined) => string {
  const decoder = new TextDecoder();
  return (chunk) =>
    chunk === undefined ? decoder.decode() : decoder.decode(chunk, { stream: true });
}

/** Streams a call through the archive (see {@link LlmStreamCallOptions}). */
export async function streamCall(
  context: CallContext,
  options: LlmStreamCallOptions,
): Promise<LlmStreamCallResult> {
  const hash = requestHash(options.model, options.request);
  const callId = randomUUID();
  const base = (
    model: string,
    attempt: number,
  ): Omit<
    EntryFields,
    'at' | 'status' | 'latencyMs' | 'promptTokens' | 'completionTokens' | 'cost'
  > => ({
    run: context.runId,
    ...(options.step === undefined ? {} : { step: options.step }),
    ...(options.item === undefined ? {} : { item: options.item }),
    requestedModel: options.model,
    servedModel: model,
    ...(options.provider === undefined ? {} : { provider: options.provider }),
    attempt,
    call: callId,
    requestHash: hash,
    stream: true,
  });
  const now = () => new Date(context.clock.now()).toISOString();

  const previous = context.replaying ? context.answered(hash) : undefined;
  if (previous !== undefined) {
    const stored = await context.readResponse(previous);
    const raw = (stored.answer?.body as { raw?: string } | undefined)?.raw ?? '';
    await context.record(
      {
        ...base(previous.servedModel ?? stored.model, 1),
        at: now(),
        promptTokens: previous.promptTokens,
        completionTokens: previous.completionTokens,
        cost: { usd: 0 },
        latencyMs: 0,
        status: 'ok',
        replayed: true,
      },
      stored,
    );
    const bytes = new TextEncoder().encode(raw);
    return {
      stream: new ReadableStream({
        start(controller) {
          controller.enqueue(bytes);
          controller.close();
        },
      }),
      model: previous.servedModel ?? stored.model,
      attempts: 1,
      replayed: true,
      requestHash: hash,
    };
  }

  let attempts = 0;
  const candidates: FallbackCandidate<{
    body: ReadableStream<Uint8Array>;
    model: string;
    attempt: number;
    started: number;
  }>[] = [options.model, ...(options.fallback ?? [])].map((model) => ({
    name: model,
    run: async ({ signal }) => {
      attempts += 1;
      const attempt = attempts;
      const started = context.clock.now();
      try {
        const body = await options.open({
          model,
          attempt,
          signal: AbortSignal.any([signal, AbortSignal.timeout(context.attemptTimeoutMs)]),
        });
        return { body, model, attempt, started };
      } catch (error) {
        await recordFailedAttempt(context, {
          fields: base(model, attempt),
          model,
          request: options.request,
          started,
          error,
          aborted: signal.aborted,
        });
        throw error;
      }
    },
  }));
  const opened = await retryWithFallback(candidates, {
    ...context.retry,
    clock: context.clock,
    classify: classifyLlmRetry,
    ...(options.signal === undefined ? {} : { signal: options.signal }),
  });
  const { body, model, attempt, started } = opened.value;
  const decode = decoderFor();
  let text = '';
  let firstTokenAt: number | undefined;
  let settled = false;
  const reader = body.getReader();

  /** Records the attempt once, however the stream ends. */
  const settle = async (how: 'ok' | 'aborted' | 'error', error?: unknown) => {
    if (settled) return;
    settled = true;
    text += decode(undefined);
    const answer = { ...safeSummary(options.summarise, text), stream: true, body: { raw: text } };
    const served = answer.servedModel ?? model;
    const promptTokens = answer.promptTokens ?? null;
    const completionTokens = answer.completionTokens ?? null;
    const errorClass =
      how === 'error' ? classifyLlmError(error) : how === 'aborted' ? 'Aborted' : undefined;
    await context.record(
      {
        ...base(model, attempt),
        servedModel: served,
        at: now(),
        promptTokens,
        completionTokens,
        cost: costOf(served, promptTokens, completionTokens, context.prices),
        latencyMs: Math.max(0, context.clock.now() - started),
        ...(firstTokenAt === undefined ? {} : { timeToFirstTokenMs: firstTokenAt - started }),
        status: how,
        ...(errorClass === undefined ? {} : { errorClass }),
      },
      {
        format: 'cairn.llm-response/v1',
        call: callId,
        attempt,
        model,
        request: options.request,
        status: how,
        answer: how === 'ok' ? answer : { ...answer, partial: true },
        ...(how === 'error'
          ? {
              error: {
                class: errorClass ?? 'Unknown',
                message: scrubErrorText(error instanceof Error ? error.message : String(error)),
              },
            }
          : {}),
      },
    );
  };

  const stream = new ReadableStream<Uint8Array>({
    async pull(controller) {
      let chunk: Awaited<ReturnType<typeof reader.read>>;
      try {
        chunk = await reader.read();
      } catch (error) {
        // The caller's own abort cuts the upstream read: that is a cancelled stream, not a failure.
        await settle(options.signal?.aborted ? 'aborted' : 'error', error).catch(() => undefined);
        controller.error(error);
        return;
      }
      if (chunk.done) {
        // The caller sees the end only once the record is durable.
        await settle('ok');
        controller.close();
        return;
      }
      const piece = decode(chunk.value);
      text += piece;
      if (firstTokenAt === undefined && (options.carriesToken?.(piece) ?? true))
        firstTokenAt = context.clock.now();
      controller.enqueue(chunk.value);
    },
    async cancel(reason) {
      await reader.cancel(reason).catch(() => undefined);
      await settle('aborted');
    },
  });
  return { stream, model, attempts: opened.attempts, replayed: false, requestHash: hash };
}

/** The summary of a stream, or of what it sent before failing (a summariser must not throw). */
function safeSummary(summarise: (streamed: string) => LlmAnswer, text: string): LlmAnswer {
  try {
    return summarise(text);
  } catch {
    return { text: '' };
  }
}
