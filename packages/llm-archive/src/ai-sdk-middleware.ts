import type {
  LanguageModelV2,
  LanguageModelV2CallOptions,
  LanguageModelV2Content,
  LanguageModelV2Middleware,
  LanguageModelV2StreamPart,
} from '@ai-sdk/provider';
import type { LlmArchive } from './llm-archive.js';
import type { LlmAnswer } from './llm-call.js';

// The AI SDK's language-model middleware (ai 5, LanguageModelV2): wrapLanguageModel({ model,
// middleware: archiveMiddleware(archive) }) records every generate and stream call through the
// archive. Types come from @ai-sdk/provider; nothing of the SDK is imported at run time.

/** Options of {@link archiveMiddleware}. */
export interface ArchiveMiddlewareOptions {
  /** The pipeline step the calls belong to. */
  readonly step?: string;
  /** The item of a mapped step. */
  readonly item?: number;
}

type GenerateResult = Awaited<ReturnType<LanguageModelV2['doGenerate']>>;

/** The request as recorded and hashed: the prompt and settings, not the signal or headers. */
function requestOf(params: LanguageModelV2CallOptions): unknown {
  const { abortSignal: _signal, headers: _headers, ...rest } = params;
  return JSON.parse(JSON.stringify(rest));
}

function textOf(content: readonly LanguageModelV2Content[]): string {
  return content.map((part) => (part.type === 'text' ? part.text : '')).join('');
}

/**
 * The SDK's APICallError carries `responseHeaders`; the retry classifier reads `headers`
 * (`Retry-After`). Giving it both keeps the error the SDK's own for the caller.
 */
function exposeHeaders(error: unknown): unknown {
  if (
    typeof error === 'object' &&
    error !== null &&
    'responseHeaders' in error &&
    !('headers' in error)
  ) {
    Object.defineProperty(error, 'headers', {
      value: (error as { responseHeaders: unknown }).responseHeaders,
    });
  }
  return error;
}

/** A generate result as JSON (dates as ISO strings), for the archive and for replay. */
function storedResult(result: GenerateResult): unknown {
  return JSON.parse(JSON.stringify({ ...result, request: undefined }));
}

/** A stored generate result brought back: the response timestamp as a Date again. */
function revivedResult(stored: unknown): GenerateResult {
  const result = stored as GenerateResult & { response?: { timestamp?: string | Date } };
  if (typeof result.response?.timestamp === 'string') {
    result.response.timestamp = new Date(result.response.timestamp);
  }
  return result;
}

/** The answer in a stream of parts serialised one JSON line each. */
export function summariseStreamParts(streamed: string): LlmAnswer {
  let text = '';
  let servedModel: string | undefined;
  let promptTokens: number | null = null;
  let completionTokens: number | null = null;
  for (const line of streamed.split('\n')) {
    if (line === '') continue;
    let part: {
      type?: string;
      delta?: unknown;
      modelId?: unknown;
      usage?: { inputTokens?: unknown; outputTokens?: unknown };
    };
    try {
      part = JSON.parse(line);
    } catch {
      continue;
    }
    if (part.type === 'text-delta' && typeof part.delta === 'string') text += part.delta;
    if (part.type === 'response-metadata' && typeof part.modelId === 'string')
      servedModel = part.modelId;
    if (part.type === 'finish') {
      if (typeof part.usage?.inputTokens === 'number') promptTokens = part.usage.inputTokens;
      if (typeof part.usage?.outputTokens === 'number') completionTokens = part.usage.outputTokens;
    }
  }
  return {
    text,
    ...(servedModel === undefined ? {} : { servedModel }),
    promptTokens,
    completionTokens,
  };
}

/** Stream parts to JSON lines (what the archive keeps) and back (what the caller reads). */
function partsToLines(
  parts: ReadableStream<LanguageModelV2StreamPart>,
): ReadableStream<Uint8Array> {
  const encoder = new TextEncoder();
  return parts.pipeThrough(
    new TransformStream<LanguageModelV2StreamPart, Uint8Array>({
      transform(part, controller) {
        const plain =
          part.type === 'error'
            ? {
                type: 'error',
                error: part.error instanceof Error ? part.error.message : String(part.error),
              }
            : part;
        controller.enqueue(encoder.encode(`${JSON.stringify(plain)}\n`));
      },
    }),
  );
}

function linesToParts(
  bytes: ReadableStream<Uint8Array>,
): ReadableStream<LanguageModelV2StreamPart> {
  const decoder = new TextDecoder();
  let buffered = '';
  const parse = (line: string): LanguageModelV2StreamPart => {
    const part = JSON.parse(line) as LanguageModelV2StreamPart & { timestamp?: string | Date };
    if (part.type === 'response-metadata' && typeof part.timestamp === 'string')
      part.timestamp = new Date(part.timestamp);
    return part;
  };
  return bytes.pipeThrough(
    new TransformStream<Uint8Array, LanguageModelV2StreamPart>({
      transform(chunk, controller) {
        buffered += decoder.decode(chunk, { stream: true });
        let newline = buffered.indexOf('\n');
        while (newline !== -1) {
          const line = buffered.slice(0, newline);
          buffered = buffered.slice(newline + 1);
          if (line !== '') controller.enqueue(parse(line));
          newline = buffered.indexOf('\n');
        }
      },
      flush(controller) {
        buffered += decoder.decode();
        if (buffered.trim() !== '') controller.enqueue(parse(buffered));
      },
    }),
  );
}

/**
 * Language-model middleware for the AI SDK (`ai` 5): every `generateText` / `streamText` call
 * of the wrapped model goes through the archive — recorded before it returns (a stream: when it
 * ends, or with its partial text when cancelled), retried under the archive's policy, and
 * replayed on a resumed run. Set the SDK's own `maxRetries: 0`: the archive's retries are the
 * recorded ones.
 *
 * @example
 * const model = wrapLanguageModel({ model: provider('gpt-4o-mini'), middleware: archiveMiddleware(archive) });
 * const { text } = await generateText({ model, prompt: 'Hello', maxRetries: 0 });
 */
export function archiveMiddleware(
  archive: LlmArchive,
  options: ArchiveMiddlewareOptions = {},
): LanguageModelV2Middleware {
  const where = {
    ...(options.step === undefined ? {} : { step: options.step }),
    ...(options.item === undefined ? {} : { item: options.item }),
  };
  return {
    middlewareVersion: 'v2',
    async wrapGenerate({ doGenerate, params, model }) {
      let live: GenerateResult | undefined;
      const result = await archive.call({
        model: model.modelId,
        provider: model.provider,
        request: requestOf(params),
        ...where,
        ...(params.abortSignal === undefined ? {} : { signal: params.abortSignal }),
        invoke: async () => {
          try {
            live = await doGenerate();
          } catch (error) {
            throw exposeHeaders(error);
          }
          return {
            text: textOf(live.content),
            ...(live.response?.modelId === undefined ? {} : { servedModel: live.response.modelId }),
            promptTokens: live.usage.inputTokens ?? null,
            completionTokens: live.usage.outputTokens ?? null,
            body: storedResult(live),
          };
        },
      });
      return result.replayed || live === undefined ? revivedResult(result.body) : live;
    },
    async wrapStream({ doStream, params, model }) {
      let rest: Omit<Awaited<ReturnType<LanguageModelV2['doStream']>>, 'stream'> = {};
      const result = await archive.callStream({
        model: model.modelId,
        provider: model.provider,
        request: requestOf(params),
        ...where,
        ...(params.abortSignal === undefined ? {} : { signal: params.abortSignal }),
        open: async () => {
          try {
            const { stream, ...others } = await doStream();
            rest = others;
            return partsToLines(stream);
          } catch (error) {
            throw exposeHeaders(error);
          }
        },
        summarise: summariseStreamParts,
        carriesToken: (chunk) => chunk.includes('"type":"text-delta"'),
      });
      return { ...rest, stream: linesToParts(result.stream) };
    },
  };
}
