import type { Readable } from 'node:stream';
import type { RunLease } from '../runs/run-lease.js';
import type { MirrorEvent } from '../storage/mirrored-storage-events.js';
import type { StorageBody } from '../storage/storage.js';
import type { CheckpointRecord, maxWorldSize } from './checkpoint-record.js';
import type { JsonValue } from './json-value.js';
import type { PruneReport, PruneRequest } from './retention.js';

/** What every save takes besides the payload. */
export interface SaveCommon {
  /** The run saving it, `<pipeline>/<time id>`. */
  readonly run: string;
  /** The step it belongs to; a valid name (letters, digits, `_`, `-`, `.`). */
  readonly step: string;
  /** Plain JSON describing it (epoch, dataset, hyper-parameters); at most 64 KiB as YAML. */
  readonly metadata?: Readonly<Record<string, JsonValue>>;
  /** Finite numbers to rank and plot by (precision, recall, loss…). */
  readonly metrics?: Readonly<Record<string, number>>;
  /** Labels to filter by; each 1 to 200 characters, at most 100 tags. */
  readonly tags?: readonly string[];
  /**
   * The run's lease (`run.lease`): the save then commits only while the lease is held. It is
   * confirmed just before the sidecar is written (a lost lease: `CONFLICT`, nothing committed)
   * and once more just after (a lease lost in between: the sidecar is taken back, `CONFLICT`),
   * and its generation is recorded in the sidecar as `leaseGeneration`.
   *
   * Limits: between the sidecar put and the check after it, a stale owner's checkpoint is
   * visible (a new owner resuming in that moment may pick it up; one it already resumed from
   * is then kept, not taken back). When the check after the commit meets a storage error, the
   * commit is kept (the lease held a moment before). A storage without conditional writes
   * cannot fence: such a lease is refused with `UNSUPPORTED` (save without it, one writer per
   * run). `saveShard` is not fenced by a lease.
   */
  readonly lease?: RunLease;
  /**
   * Cancels the save. Before the commit, nothing is committed and the payload is deleted;
   * once the sidecar is being written the save completes (the commit is one small write).
   */
  readonly signal?: AbortSignal;
}

/** A state encoded by a codec (`json` unless `codec` names another). */
export interface SaveState extends SaveCommon {
  /** The state to encode. */
  readonly state: unknown;
  /** Name of a codec known to the store; default `json`. */
  readonly codec?: string;
  readonly contentType?: never;
  readonly body?: never;
  readonly file?: never;
}

/** Bytes or a stream of any size, stored as they are (codec `raw`), never held whole. */
export interface SaveBody extends SaveCommon {
  /** The payload. A stream is consumed once. */
  readonly body: StorageBody;
  /** Media type; default `application/octet-stream`. */
  readonly contentType?: string;
  readonly codec?: never;
  readonly state?: never;
  readonly file?: never;
}

/** A file streamed from disk (codec `raw`), never held whole. */
export interface SaveFile extends SaveCommon {
  /** Path of the file to store. */
  readonly file: string;
  /** Media type; default `application/octet-stream`. */
  readonly contentType?: string;
  readonly codec?: never;
  readonly state?: never;
  readonly body?: never;
}

/** What {@link CheckpointStore.save} takes: common fields and one kind of payload. */
export type SaveInput = SaveState | SaveBody | SaveFile;

/** What makes a save one rank's shard of a checkpoint written by several processes. */
export interface ShardOf {
  /**
   * The name every rank gives this checkpoint, e.g. the training step (`'1000'`, `'epoch-3'`):
   * letters, digits, `_`, `-`, `.`. Ranks saving the same run, step and name write the same
   * checkpoint; the first to arrive gives it its id, and the others find that id in storage.
   */
  readonly name: string;
  /** This process's rank, from 0 to `worldSize - 1`. */
  readonly rank: number;
  /** How many ranks write the checkpoint, at most {@link maxWorldSize}; the same on every rank. */
  readonly worldSize: number;
  /** Sharded saves are not fenced by a run lease: the ranks do not hold it. */
  readonly lease?: never;
}

/**
 * What {@link CheckpointStore.saveShard} takes: a save of one kind of payload, and which shard
 * it is. The checkpoint's metadata, metrics and tags are rank 0's; other ranks' are ignored.
 * Every rank must save the same kind of payload (the same codec and content type).
 */
export type SaveShardInput =
  | (Omit<SaveState, 'lease'> & ShardOf)
  | (Omit<SaveBody, 'lease'> & ShardOf)
  | (Omit<SaveFile, 'lease'> & ShardOf);

/** What a rank learns from {@link CheckpointStore.saveShard}. */
export interface SavedShard {
  /** The checkpoint's id, the same on every rank. */
  readonly id: string;
  /** This rank. */
  readonly rank: number;
  /** Size of this rank's shard in bytes. */
  readonly size: number;
  /** SHA-256 of this rank's shard. */
  readonly sha256: string;
  /** How many ranks' shards this rank saw stored (all of them once committed). */
  readonly shardsPresent: number;
  /**
   * The sidecar, when this rank found every shard present (it committed the checkpoint, or
   * another rank did); undefined while shards are missing. Other ranks can wait for it with
   * {@link CheckpointStore.get}, with a timeout: a last rank that dies after storing its shard
   * record but before writing the sidecar leaves the checkpoint uncommitted until some rank
   * saves its shard again.
   */
  readonly committed: CheckpointRecord | undefined;
}

/**
 * Which checkpoint to read: one id, or the latest committed one of a step (optionally of one
 * run).
 */
export type CheckpointSelector =
  | { readonly id: string }
  | { readonly step: string; readonly run?: string };

/** Options of the reading methods. */
export interface ReadOptions {
  /**
   * Of a sharded checkpoint, the rank whose shard to read (required); each shard is verified
   * against the size and SHA-256 its sidecar lists. Not allowed for other checkpoints.
   */
  readonly rank?: number;
  /** Cancels the read. */
  readonly signal?: AbortSignal;
}

/** A copy problem a mirrored storage reported while a checkpoint was read. */
export interface StorageProblem {
  /** The mirror event's type: `copy-missing`, `copy-corrupt`, `copy-repaired`, … */
  readonly problem: MirrorEvent['type'];
  /** The storage key concerned (the sidecar's or the payload's). */
  readonly key: string;
  /** Which copy, e.g. `copy 0 (fs, primary)`. */
  readonly copy: string;
  /** A short account (digests, the error's message); never content. */
  readonly detail?: string;
  /** The mirror's event as it was reported. */
  readonly event: MirrorEvent;
}

/** A checkpoint loaded and decoded. */
export interface LoadedCheckpoint<State = unknown> {
  /** Its sidecar. */
  readonly record: CheckpointRecord;
  /** The decoded state (a Buffer for `raw` checkpoints). */
  readonly state: State;
  /** What the mirror found wrong (and repaired) on the way; empty on plain storage. */
  readonly problems: readonly StorageProblem[];
}

/** A checkpoint opened as a stream. */
export interface OpenedCheckpoint {
  /** Its sidecar. */
  readonly record: CheckpointRecord;
  /**
   * The payload. It fails with `CORRUPT_DATA` instead of ending when its size or SHA-256
   * differs from the sidecar's, so a consumer that waits for the end never accepts bad bytes.
   * Consume it or `destroy()` it.
   */
  readonly body: Readable;
  /** What the mirror found wrong (and repaired) while opening; empty on plain storage. */
  readonly problems: readonly StorageProblem[];
}

/** A filter for {@link CheckpointStore.list}. */
export interface ListQuery {
  /** Only this step's checkpoints. */
  readonly step?: string;
  /** Only this run's checkpoints. */
  readonly run?: string;
  /** Cancels the listing. */
  readonly signal?: AbortSignal;
}

/** A filter for {@link CheckpointStore.latest}. */
export interface LatestQuery {
  /** The step. */
  readonly step: string;
  /** Only this run's checkpoints. */
  readonly run?: string;
  /** Cancels the search. */
  readonly signal?: AbortSignal;
}

/**
 * Verified checkpoints on a {@link Storage}. A checkpoint is committed once its sidecar exists,
 * and the sidecar is written only after the payload has been read back and its SHA-256 checked;
 * every reading method sees committed checkpoints only and never returns bytes that fail their
 * digest.
 */
export interface CheckpointStore {
  /**
   * Saves a checkpoint: writes the payload while hashing it, reads it back to check size and
   * SHA-256, then creates the sidecar (create-only).
   *
   * @returns the committed sidecar.
   * @throws `INVALID_OPTIONS` for a bad run id, step, metadata, metrics, tags, state or lease;
   *   `CORRUPT_DATA` when the read-back differs (the payload is deleted, nothing committed);
   *   `CONFLICT` (not retryable) when `lease` is lost (nothing committed);
   *   `UNSUPPORTED` for a `lease` on a storage without conditional writes (nothing written);
   *   `ABORTED`; storage errors (from the lease check before the commit: saying the
   *   checkpoint was not committed).
   */
  save(input: SaveInput): Promise<CheckpointRecord>;
  /**
   * Saves one rank's shard of a checkpoint that several processes write together (a
   * data-parallel training step). The shard goes through the same verified write as a payload,
   * then a small shard record is created (create-only). The rank then lists the shard records:
   * when all `worldSize` are there, it creates the sidecar listing every shard (exactly one
   * rank's create succeeds; the others find it). Until then the checkpoint is not committed:
   * invisible to `list`, `latest` and `load`, and a shard that never comes leaves it so.
   *
   * A rank that saves again (a retry) with the same bytes gets the same result, and commits
   * the checkpoint if every shard is stored but no sidecar is (the rank that stored the last
   * shard died before committing); with other bytes it is refused. A shard record that may
   * have been stored is never deleted by a failed save: another rank may already have
   * committed on it. The sidecar's `sequence` is one more than the highest committed for the
   * run and step, read from storage at each commit (two checkpoints of one run and step
   * committed at the same moment may get the same number). Ranks need not be runs of a
   * pipeline: they share the run id, the step and the name.
   *
   * Prune leaves a tombstone for each sharded checkpoint it deletes. A save of a name whose
   * checkpoint was pruned is refused before anything is written, and a commit that created its
   * sidecar after the prune deleted the old one finds the tombstone, deletes its sidecar again
   * and is refused the same way: a pruned checkpoint is never listed again. Save under a new
   * name instead.
   *
   * @throws `INVALID_OPTIONS` for a bad name, rank or worldSize, or when this rank's worldSize,
   *   codec or content type differs from the first rank's; `CONFLICT` (not retryable) when
   *   this rank's shard was already stored with other bytes, or when the checkpoint was pruned
   *   (nothing of this rank is written, a commit is taken back); `CONFLICT` (retryable) when a
   *   shard record was deleted while this rank committed; `CORRUPT_DATA` when the read-back
   *   differs, a record is damaged, or the checkpoint was committed with other shards than the
   *   records give; `ABORTED`; storage errors (a retry is safe).
   */
  saveShard(input: SaveShardInput): Promise<SavedShard>;
  /**
   * The sidecar of checkpoint `id`, without touching the payload.
   * @throws `NOT_FOUND` when it is not committed; `CORRUPT_DATA` when the sidecar is damaged.
   */
  get(id: string, options?: ReadOptions): Promise<CheckpointRecord>;
  /** The newest committed checkpoint of a step (and run), or undefined. */
  latest(query: LatestQuery): Promise<CheckpointRecord | undefined>;
  /**
   * Committed checkpoints, oldest first. Damaged sidecars are skipped with a warning in the
   * log; payloads are never opened.
   */
  list(query?: ListQuery): AsyncIterable<CheckpointRecord>;
  /**
   * Reads, verifies and decodes a checkpoint with the codec its sidecar names. The payload is
   * held in memory: use {@link CheckpointStore.open} or {@link CheckpointStore.restoreToFile}
   * for large ones.
   * @throws `NOT_FOUND`; `CORRUPT_DATA` naming the checkpoint and key when the bytes do not
   *   match; `UNSUPPORTED` for a codec the store does not know.
   */
  load<State = unknown>(
    selector: CheckpointSelector,
    options?: ReadOptions,
  ): Promise<LoadedCheckpoint<State>>;
  /** Opens a checkpoint's payload as a stream verified as it is read. */
  open(selector: CheckpointSelector, options?: ReadOptions): Promise<OpenedCheckpoint>;
  /**
   * Writes a checkpoint's payload to `path`: into a temporary file beside it, verified, synced
   * and renamed over `path`, so `path` never holds bad or partial bytes.
   */
  restoreToFile(
    selector: CheckpointSelector,
    path: string,
    options?: ReadOptions,
  ): Promise<CheckpointRecord>;
  /** Marks a checkpoint that this store's `prune` must never delete (e.g. the one resumed from). */
  protect(id: string): void;
  /** Deletes the checkpoints of one run and step that no retention rule keeps. */
  prune(request: PruneRequest): Promise<PruneReport>;
}
