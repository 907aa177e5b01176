/** What one attempt of an LLM call gave back, as the recorder needs it. */
export interface LlmAnswer {
  /** The completion text (empty for a tool call without text). */
  readonly text: string;
  /** The model that answered, as the response named it. */
  readonly servedModel?: string;
  /** Prompt tokens, when the response said. */
  readonly promptTokens?: number | null;
  /** Completion tokens, when the response said. */
  readonly completionTokens?: number | null;
  /** The whole response as JSON (kept in the archive; replay gives it back). */
  readonly body?: unknown;
  /** For streams: milliseconds from the start to the first token. */
  readonly timeToFirstTokenMs?: number;
  /** Whether the answer streamed. */
  readonly stream?: boolean;
  /** For a stream cut off (aborted): the text received so far is `text`, and this is true. */
  readonly partial?: boolean;
}

/** What an attempt receives. */
export interface LlmAttempt {
  /** The model to ask: the requested one, then each fallback in turn. */
  readonly model: string;
  /** The attempt number within the call, from 1, across fallbacks. */
  readonly attempt: number;
  /** Aborted when the call is cancelled or the attempt times out: pass it to the request. */
  readonly signal: AbortSignal;
}

/** What {@link LlmArchive.call} takes. */
export interface LlmCallOptions {
  /** The model asked for. */
  readonly model: string;
  /** Models tried in order when the first gives up or runs out of attempts (e.g. flash → pro). */
  readonly fallback?: readonly string[];
  /**
   * The request as JSON (messages and parameters): hashed for replay and kept in the archive.
   * Never put API keys or headers in it.
   */
  readonly request: unknown;
  /** One attempt: ask `model`; throw on failure (an HTTP error with `status` is classified). */
  readonly invoke: (attempt: LlmAttempt) => Promise<LlmAnswer>;
  /**
   * Checks an answer before it is accepted (e.g. that it holds valid JSON); throwing rejects it:
   * the attempt is recorded as failed with its answer, tokens and cost kept, and the call tries
   * again (an `InvalidResponse`, retried, unless the error is a CairnError that says otherwise).
   */
  readonly accept?: (answer: LlmAnswer) => void | Promise<void>;
  /** The pipeline step, for the record. */
  readonly step?: string;
  /** The item of a mapped step, for the record. */
  readonly item?: number;
  /** Who serves it (e.g. `openai`), for the record. */
  readonly provider?: string;
  /** Cancels the call. */
  readonly signal?: AbortSignal;
}

/** What a call gave back, once its record is durable. */
export interface LlmCallResult extends LlmAnswer {
  /** The model asked for. */
  readonly requestedModel: string;
  /** The model that answered (the fallback that served, or as the response named it). */
  readonly model: string;
  /** Attempts made, the answering one included (1 when replayed). */
  readonly attempts: number;
  /** True when served from the archive without a network call. */
  readonly replayed: boolean;
  /** The seq of the answering attempt's index entry. */
  readonly seq: number;
  /** The request hash replay matches on. */
  readonly requestHash: string;
}
