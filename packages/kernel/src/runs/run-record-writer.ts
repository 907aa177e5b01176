import { CairnError, isCairnError } from '../errors/cairn-error.js';
import { runKeys } from '../naming/layout.js';
import type { Storage } from '../storage/storage.js';
import { type RunRecord, serialiseRunRecord } from './run-record.js';
import { readRunRecord } from './run-status.js';

/** Writes that meet this writer's own unanswered write, in a row, before it gives up. */
const maxOwnWriteRetries = 3;

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
   * Applies `change` to the latest record and stores it after the writes queued before it. A
   * write refused because the record moved is not yet a takeover: when the stored record
   * still names this owner and attempt, it is this writer's own earlier write whose answer was
   * lost, and the write is made again over it.
   * @throws CairnError `CONFLICT` when another process replaced the record meanwhile; storage
   *   errors as the storage reports them (the write may then have landed or not).
   */
  update(change: (record: RunRecord) => RunRecord): Promise<void> {
    const next = this.#queue.then(async () => {
      const record = change(this.#record);
      for (let attempt = 1; ; attempt++) {
        try {
          const info = await this.#storage.put(this.#key, serialiseRunRecord(record), {
            ...this.#writeConditions(),
            contentType: 'application/json',
          });
          this.#etag = info.etag;
          this.#record = record;
          return;
        } catch (error) {
          if (!isCairnError(error, 'PRECONDITION_FAILED')) throw error;
          // The record moved; it may have moved by this writer's own earlier write whose answer
          // was lost (a timeout after the put landed). Only another owner's record is a loss.
          const stored = await readRunRecord(this.#storage, record.id);
          const ours =
            stored !== undefined &&
            stored.record.owner.token === record.owner.token &&
            stored.record.attempt === record.attempt;
          if (!ours) throw this.#takenOver(record, error);
          if (attempt >= maxOwnWriteRetries) throw this.#keptMoving(record, error);
          this.#etag = stored.etag;
        }
      }
    });
    // A failed write must not wedge the queue: later writes try again from the last good etag.
    this.#queue = next.catch(() => {});
    return next;
  }

  #writeConditions(): { ifNoneMatch?: '*'; ifMatch?: string } {
    if (!this.#conditional) return {};
    return this.#etag === undefined ? { ifNoneMatch: '*' } : { ifMatch: this.#etag };
  }

  #takenOver(record: RunRecord, cause: unknown): CairnError {
    return new CairnError({
      code: 'CONFLICT',
      retryable: false,
      message: `The run record "${this.#key}" was changed by another process: the run "${record.id}" was taken over (resumed elsewhere, or forced). This process stops writing to it.`,
      cause,
      details: { run: record.id, key: this.#key },
    });
  }

  #keptMoving(record: RunRecord, cause: unknown): CairnError {
    return new CairnError({
      code: 'TRANSIENT_IO',
      message: `The run record "${this.#key}" changed under every write of this process although it still names this process as the owner of run "${record.id}": the storage may be answering for writes it has not finished. Try again.`,
      cause,
      details: { run: record.id, key: this.#key },
    });
  }

  /** Resolves when every queued write has settled. */
  async settled(): Promise<void> {
    await this.#queue;
  }
}
