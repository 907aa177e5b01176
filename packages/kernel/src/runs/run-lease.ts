import { CairnError } from '../errors/cairn-error.js';
import { runKeys } from '../naming/layout.js';
import type { Storage } from '../storage/storage.js';
import { readRunRecord } from './run-status.js';

/**
 * The lease a process holds on a run while it runs it. A checkpoint save given the lease
 * (`checkpoints.save({ …, lease: run.lease })`, as the pipeline engine does by itself) commits
 * only while the lease is held, so a process whose run was taken over cannot add checkpoints
 * to it.
 *
 * What it does not cover: the lease is confirmed just before the sidecar is written and once
 * more just after, and object stores have no transaction spanning the run record and the
 * sidecar. A stale owner's checkpoint is therefore visible for the moment between its sidecar
 * put and the second check (a new owner resuming in that moment may pick it up, and one it
 * already resumed from is kept rather than taken back); when the second check meets a storage
 * error instead of an answer, the commit is kept. Sharded saves
 * (`saveShard`) are not fenced at all. A lease needs a storage with conditional writes: see
 * {@link RunLease.enforceable}.
 */
export interface RunLease {
  /** The run, `<pipeline>/<time id>`. */
  readonly run: string;
  /**
   * The fencing generation: the run's attempt number, which every claim of the run (a resume,
   * a forced takeover) raises by one. A save records it in its sidecar.
   */
  readonly generation: number;
  /**
   * Whether the lease can fence anything: true when the run's storage has conditional writes,
   * so that every write of the run record is a compare-and-swap a takeover makes fail. Without
   * them the record is rewritten unconditionally (a stale owner's next heartbeat puts its own
   * claim back), so a save given this lease is refused with `UNSUPPORTED`, and so is `force`
   * on a run still running; the pipeline engine then saves without the lease. Run one writer
   * per run there.
   */
  readonly enforceable: boolean;
  /**
   * Checks that this process still holds the run: one HEAD of the run record, and a read of
   * it only when its etag is not the one this process last wrote.
   *
   * @throws CairnError `CONFLICT` (not retryable) naming the process that took the run over;
   *   the run's `signal` is aborted with it. `UNSUPPORTED` when the lease is not
   *   {@link RunLease.enforceable}. Storage errors when the record cannot be read: the lease is
   *   then neither confirmed nor lost.
   */
  confirm(): Promise<void>;
}

/** What {@link createRunLease} needs from the run it belongs to. */
export interface RunLeaseSource {
  readonly storage: Storage;
  readonly run: string;
  readonly generation: number;
  /** This attempt's owner token, as its run record names it. */
  readonly token: string;
  /** The etag of the run record as this process last wrote it. */
  readonly lastEtag: () => string | undefined;
  /** Aborted once the run is known lost; its reason is the CONFLICT to throw. */
  readonly lost: AbortSignal;
  /** Marks the run lost (aborts `lost`, stops the heartbeat). */
  readonly lose: (reason: CairnError) => void;
}

/** The lease of a run this process started or resumed. */
export function createRunLease(source: RunLeaseSource): RunLease {
  const key = runKeys(source.run).record;
  const enforceable = source.storage.capabilities.conditionalWrites;
  const confirm = async (): Promise<void> => {
    if (!enforceable) throw unenforceable(source.run, source.storage.name);
    if (source.lost.aborted) throw source.lost.reason;
    const head = await source.storage.head(key);
    const lastEtag = source.lastEtag();
    if (head !== undefined && lastEtag !== undefined && head.etag === lastEtag) return;
    // Another etag is not yet a loss: this process's own heartbeat may have landed and not yet
    // been recorded as the last write. The record's owner says whose run it is.
    const stored = await readRunRecord(source.storage, source.run);
    const record = stored?.record;
    if (record?.owner.token === source.token && record.attempt === source.generation) return;
    const holder = record?.owner;
    const error = new CairnError({
      code: 'CONFLICT',
      retryable: false,
      message:
        record === undefined
          ? `Run "${source.run}" has no run record any more ("${key}" was deleted): this process no longer holds it and stops writing to it.`
          : `Run "${source.run}" was taken over by process ${holder?.pid} on ${holder?.host} (attempt ${record.attempt}; this process runs attempt ${source.generation}): this process no longer holds it and stops writing to it.`,
      details: {
        run: source.run,
        generation: source.generation,
        ...(record === undefined
          ? {}
          : { holder: { host: holder?.host, pid: holder?.pid, attempt: record.attempt } }),
      },
    });
    source.lose(error);
    throw error;
  };
  return { run: source.run, generation: source.generation, enforceable, confirm };
}

/**
 * The refusal of a lease on a storage without conditional writes, where it would fence
 * nothing (or worse, let the stale owner win).
 */
export function unenforceable(run: string, storage?: string): CairnError {
  return new CairnError({
    code: 'UNSUPPORTED',
    message: `The lease of run "${run}" cannot fence checkpoint saves on ${storage === undefined ? "the run's storage" : `the "${storage}" storage`}: a lease needs compare-and-swap writes of the run record (conditional writes), and this storage does not declare them, so a process whose run was taken over would not notice and its heartbeats would put its own claim back. Use a storage with conditional writes (storage-fs, AWS S3, or an S3-compatible store that honours If-Match), or run one writer per run and save without a lease.`,
    details: { run, ...(storage === undefined ? {} : { storage }) },
  });
}
