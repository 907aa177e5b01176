import { CairnError, isCairnError } from '../errors/cairn-error.js';
import { runKeys } from '../naming/layout.js';
import type { Storage } from '../storage/storage.js';
import { type RunRecord, serialiseRunRecord } from './run-record.js';

/**
 * Rewrites one run record, one write at a time, each a compare-and-swap on the etag of the
 * previous write: a second process that took the run over makes the next write fail with
 * `CONFLICT` instead of both owners overwriting each other.
 */
export class RunRecordWriter {
  #etag: string | undefined;
  #record: RunRecord;
  #queue: Promise<void> = Promise.resolve();
  readonly #storage: Storage;
  readonly #key: string;
  readonly #conditional: boolean;

  /**
   * @param etag - the etag of the stored record this writer replaces, or undefined to create
   *   a new record (create-only).
   */
  constructor(storage: Storage, record: RunRecord, etag: string | undefined) {
    this.#storage = storage;
    this.#record = record;
    this.#etag = etag;
    this.#key = runKeys(record.id).record;
    // Without conditional writes a takeover cannot be detected; one writer per run still works.
    this.#conditional = storage.capabilities.conditionalWrites;
  }

  /** The etag of the record as this writer last stored it; undefined before the first write. */
  get etag(): string | undefined {
    return this.#etag;
  }

  /** The record as last written or queued. */
  get record(): RunRecord {
    return this.#record;
  }

  /**
   * Applies `change` to the latest record and stores it after the writes queued before it.
   * @throws CairnError `CONFLICT` when another process replaced the record meanwhile.
   */
  update(change: (record: RunRecord) => RunRecord): Promise<void> {
    const next = this.#queue.then(async () => {
      const record = change(this.#record);
      const options = !this.#conditional
        ? {}
        : this.#etag === undefined
          ? { ifNoneMatch: '*' as const }
          : { ifMatch: this.#etag };
      try {
        const info = await this.#storage.put(this.#key, serialiseRunRecord(record), {
          ...options,
          contentType: 'application/json',
        });
        this.#etag = info.etag;
        this.#record = record;
      } catch (error) {
        if (!isCairnError(error, 'PRECONDITION_FAILED')) throw error;
        throw new CairnError({
          code: 'CONFLICT',
          retryable: false,
          message: `The run record "${this.#key}" was changed by another process: the run "${record.id}" was taken over (resumed elsewhere, or forced). This process stops writing to it.`,
          cause: error,
          details: { run: record.id, key: this.#key },
        });
      }
    });
    // A failed write must not wedge the queue: later writes try again from the last good etag.
    this.#queue = next.catch(() => {});
    return next;
  }

  /** Resolves when every queued write has settled. */
  async settled(): Promise<void> {
    await this.#queue;
  }
}
