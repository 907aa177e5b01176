import { type Clock, type RetryPolicyOptions, scrubErrorText } from '@cairn/kernel';
import type { ArchiveEntry } from './archive-entry.js';
import type { LlmAnswer } from './llm-call.js';
import { classifyLlmError, httpStatusOf } from './llm-errors.js';
import type { ModelPrice } from './price-table.js';

/** The response object of one attempt, as stored (content-keyed). */
export interface StoredResponse {
  readonly format: 'cairn.llm-response/v1';
  readonly call: string;
  readonly attempt: number;
  readonly model: string;
  readonly request: unknown;
  readonly status: ArchiveEntry['status'];
  readonly answer?: LlmAnswer;
  readonly error?: {
    readonly class: string;
    readonly message: string;
    readonly httpStatus?: number;
  };
}

/** The fields of an entry a recorder fills in (the writer adds seq, prev and the response). */
export type EntryFields = Omit<ArchiveEntry, 'seq' | 'prev' | 'response' | 'responseSha256'>;

/** What the call paths (plain and streamed) share: the open archive and its settings. */
export interface CallContext {
  readonly runId: string;
  readonly folder: string;
  readonly clock: Clock;
  readonly prices: Readonly<Record<string, ModelPrice>>;
  readonly attemptTimeoutMs: number;
  readonly retry: Omit<RetryPolicyOptions, 'classify' | 'signal' | 'clock'> | undefined;
  /** Whether answered requests are replayed. */
  readonly replaying: boolean;
  /** The answered entry of a request hash, for replay. */
  answered(hash: string): ArchiveEntry | undefined;
  /** Records an attempt durably (per the archive's level), updating stats and alerts. */
  record(fields: EntryFields, response: StoredResponse): Promise<ArchiveEntry>;
  /** Reads the stored response of an entry. */
  readResponse(entry: ArchiveEntry): Promise<StoredResponse>;
}

/** An attempt that failed before it answered, as {@link recordFailedAttempt} records it. */
export interface FailedAttempt {
  /** The entry's fields that do not depend on the failure (run, models, attempt, call, hash…). */
  readonly fields: Omit<
    EntryFields,
    'at' | 'status' | 'latencyMs' | 'promptTokens' | 'completionTokens' | 'cost' | 'errorClass'
  >;
  /** The model the attempt asked. */
  readonly model: string;
  /** The request, kept in the response object. */
  readonly request: unknown;
  /** When the attempt started, on the context's clock. */
  readonly started: number;
  /** What it threw. */
  readonly error: unknown;
  /** True when the caller cancelled it (recorded as `aborted`, class `Aborted`). */
  readonly aborted: boolean;
}

/**
 * Records an attempt that failed before answering: no tokens, cost unknown, its error class,
 * HTTP status and scrubbed message; the same for plain and streamed calls.
 */
export async function recordFailedAttempt(
  context: CallContext,
  failed: FailedAttempt,
): Promise<void> {
  const errorClass = failed.aborted ? 'Aborted' : classifyLlmError(failed.error);
  const httpStatus = httpStatusOf(failed.error);
  const status = failed.aborted ? 'aborted' : 'error';
  await context.record(
    {
      ...failed.fields,
      at: new Date(context.clock.now()).toISOString(),
      promptTokens: null,
      completionTokens: null,
      cost: 'unknown',
      latencyMs: Math.max(0, context.clock.now() - failed.started),
      status,
      errorClass,
      ...(httpStatus === undefined ? {} : { httpStatus }),
    },
    {
      format: 'cairn.llm-response/v1',
      call: failed.fields.call,
      attempt: failed.fields.attempt,
      model: failed.model,
      request: failed.request,
      status,
      error: {
        class: errorClass,
        message: scrubErrorText(
          failed.error instanceof Error ? failed.error.message : String(failed.error),
        ),
        ...(httpStatus === undefined ? {} : { httpStatus }),
      },
    },
  );
}
