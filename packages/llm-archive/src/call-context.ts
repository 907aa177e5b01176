import type { Clock, RetryPolicyOptions } from '@cairn/kernel';
import type { ArchiveEntry } from './archive-entry.js';
import type { LlmAnswer } from './llm-call.js';
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
