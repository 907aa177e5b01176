import { parseRetryAfter } from '@cairn/kernel';
import type { LlmArchive } from './llm-archive.js';
import type { LlmAnswer } from './llm-call.js';
import { classifyLlmError, llmCallError } from './llm-errors.js';

/** Options of {@link archivedFetch}. */
export interface ArchivedFetchOptions {
  /** The pipeline step the calls belong to. */
  readonly step?: string;
  /** The item of a mapped step. */
  readonly item?: number;
  /** Models to fall back to, in order, when the requested one gives up. */
  readonly fallback?: readonly string[];
  /**
   * Ask streams to end with a usage chunk (`stream_options.include_usage`) when the request
   * does not say, so streamed calls are costed too (default true).
   */
  readonly includeUsage?: boolean;
  /** The fetch to send requests with (default the global one). */
  readonly fetch?: typeof fetch;
}

type Json = Record<string, unknown>;

/** The answer in an OpenAI chat-completions JSON response. */
export function summariseCompletion(json: Json): LlmAnswer {
  const choices = Array.isArray(json.choices) ? (json.choices as Json[]) : [];
  const message = (choices[0]?.message ?? {}) as Json;
  const usage = (json.usage ?? {}) as Json;
  return {
    text: typeof message.content === 'string' ? message.content : '',
    ...(typeof json.model === 'string' ? { servedModel: json.model } : {}),
    promptTokens: typeof usage.prompt_tokens === 'number' ? usage.prompt_tokens : null,
    completionTokens: typeof usage.completion_tokens === 'number' ? usage.completion_tokens : null,
    body: json,
  };
}

/** The answer in an OpenAI chat-completions server-sent-event stream (as far as it got). */
export function summariseCompletionStream(streamed: string): LlmAnswer {
  let text = '';
  let servedModel: string | undefined;
  let promptTokens: number | null = null;
  let completionTokens: number | null = null;
  for (const line of streamed.split('\n')) {
    if (!line.startsWith('data:')) continue;
    const data = line.slice(5).trim();
    if (data === '' || data === '[DONE]') continue;
    let chunk: Json;
    try {
      chunk = JSON.parse(data) as Json;
    } catch {
      continue; // a line cut off by an abort
    }
    if (typeof chunk.model === 'string') servedModel = chunk.model;
    const choices = Array.isArray(chunk.choices) ? (chunk.choices as Json[]) : [];
    const delta = (choices[0]?.delta ?? {}) as Json;
    if (typeof delta.content === 'string') text += delta.content;
    const usage = chunk.usage as Json | undefined;
    if (usage !== undefined && usage !== null) {
      if (typeof usage.prompt_tokens === 'number') promptTokens = usage.prompt_tokens;
      if (typeof usage.completion_tokens === 'number') completionTokens = usage.completion_tokens;
    }
  }
  return {
    text,
    ...(servedModel === undefined ? {} : { servedModel }),
    promptTokens,
    completionTokens,
  };
}

/** The error of a failed HTTP response, read from its body and headers. */
async function responseError(response: Response, model: string) {
  let providerMessage = response.statusText;
  let providerCode: string | undefined;
  try {
    const json = (await response.json()) as {
      error?: { message?: unknown; code?: unknown; type?: unknown };
    };
    if (typeof json.error?.message === 'string') providerMessage = json.error.message;
    if (typeof json.error?.code === 'string') providerCode = json.error.code;
    else if (typeof json.error?.type === 'string') providerCode = json.error.type;
  } catch {
    // Not JSON: the status says enough.
  }
  const preciseMs = response.headers.get('retry-after-ms');
  const retryAfterMs =
    preciseMs !== null && /^\d+(\.\d+)?$/.test(preciseMs.trim())
      ? Number(preciseMs)
      : parseRetryAfter(response.headers.get('retry-after') ?? undefined, Date.now());
  const errorClass = classifyLlmError({
    status: response.status,
    code: providerCode,
    message: providerMessage,
  });
  return llmCallError({
    model,
    errorClass,
    httpStatus: response.status,
    message: `HTTP ${response.status}: ${providerMessage}`,
    ...(retryAfterMs === undefined ? {} : { retryAfterMs }),
    ...(providerCode === undefined ? {} : { providerCode }),
  });
}

function requestUrl(input: Parameters<typeof fetch>[0]): string {
  return typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
}

/**
 * A `fetch` that sends OpenAI-compatible chat-completion requests through the archive: give
 * it to any client that takes a fetch (the `openai` package's `fetch` option, the AI SDK's
 * OpenAI-compatible provider, or your own code), for OpenAI, Gemini's OpenAI-compatible
 * endpoint, Ollama, vLLM or a LiteLLM proxy. Each attempt is recorded before the response
 * reaches the client (a stream: when it ends); retries, fallback models and replay are the
 * archive's, so set the client's own retries to 0. Other requests pass through untouched.
 * Headers (the API key) are sent, never stored.
 */
export function archivedFetch(
  archive: LlmArchive,
  options: ArchivedFetchOptions = {},
): typeof fetch {
  const send = options.fetch ?? globalThis.fetch;
  return async (input, init) => {
    const url = requestUrl(input);
    const method = (
      init?.method ?? (input instanceof Request ? input.method : 'GET')
    ).toUpperCase();
    const rawBody = init?.body ?? undefined;
    if (
      method !== 'POST' ||
      !new URL(url).pathname.endsWith('/chat/completions') ||
      typeof rawBody !== 'string'
    ) {
      return send(input, init);
    }
    let body: Json;
    try {
      body = JSON.parse(rawBody) as Json;
    } catch {
      return send(input, init);
    }
    const model = typeof body.model === 'string' ? body.model : 'unknown';
    const provider = new URL(url).host;
    const common = {
      model,
      request: body,
      provider,
      ...(options.fallback === undefined ? {} : { fallback: options.fallback }),
      ...(options.step === undefined ? {} : { step: options.step }),
      ...(options.item === undefined ? {} : { item: options.item }),
      ...(init?.signal ? { signal: init.signal } : {}),
    };
    const post = (attemptModel: string, signal: AbortSignal, extra: Json = {}) =>
      send(url, {
        ...init,
        body: JSON.stringify({ ...body, ...extra, model: attemptModel }),
        signal,
      });

    if (body.stream === true) {
      const usage =
        options.includeUsage !== false && body.stream_options === undefined
          ? { stream_options: { include_usage: true } }
          : {};
      const result = await archive.callStream({
        ...common,
        open: async ({ model: attemptModel, signal }) => {
          const response = await post(attemptModel, signal, usage);
          if (!response.ok || response.body === null)
            throw await responseError(response, attemptModel);
          return response.body;
        },
        summarise: summariseCompletionStream,
        carriesToken: (chunk) => /"content":"(?!")/.test(chunk),
      });
      return new Response(result.stream, {
        status: 200,
        headers: {
          'content-type': 'text/event-stream',
          'x-cairn-replayed': String(result.replayed),
        },
      });
    }

    // The client gets the last HTTP error as the server sent it (its own error types then
    // apply: an AuthenticationError for 401, …), once the archive has given up.
    let lastFailure: { status: number; text: string; contentType: string } | undefined;
    const failed = async (response: Response, attemptModel: string) => {
      const text = await response.text();
      lastFailure = {
        status: response.status,
        text,
        contentType: response.headers.get('content-type') ?? 'application/json',
      };
      return responseError(
        new Response(text, { status: response.status, headers: response.headers }),
        attemptModel,
      );
    };
    let result: Awaited<ReturnType<LlmArchive['call']>>;
    try {
      result = await archive.call({
        ...common,
        invoke: async ({ model: attemptModel, signal }) => {
          lastFailure = undefined;
          const response = await post(attemptModel, signal);
          if (!response.ok) throw await failed(response, attemptModel);
          const text = await response.text();
          let json: Json;
          try {
            json = JSON.parse(text) as Json;
          } catch (error) {
            throw llmCallError({
              model: attemptModel,
              errorClass: 'InvalidResponse',
              httpStatus: response.status,
              message: `the response is not JSON (${(error as Error).message}): ${text.slice(0, 200)}`,
            });
          }
          return summariseCompletion(json);
        },
      });
    } catch (error) {
      if (lastFailure === undefined || init?.signal?.aborted) throw error;
      return new Response(lastFailure.text, {
        status: lastFailure.status,
        headers: { 'content-type': lastFailure.contentType },
      });
    }
    return new Response(JSON.stringify(result.body), {
      status: 200,
      headers: { 'content-type': 'application/json', 'x-cairn-replayed': String(result.replayed) },
    });
  };
}
