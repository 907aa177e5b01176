import type { CheckpointRecord, IndexedFrom } from '../checkpoints/checkpoint-record.js';
import type { JsonValue } from '../checkpoints/json-value.js';
import type { CachedAnswer, SourceRun } from './metadata-source.js';

/** A source the catalog asked that did not answer, and why. */
export interface SkippedSource {
  /** The source's name. */
  readonly source: string;
  /** Why it did not answer: nothing known, damaged data, or the failure it met. */
  readonly reason: string;
}

/** One checkpoint as the catalog lists it. */
export interface CatalogEntry {
  /** What it is; artifacts will be listed too. */
  readonly kind: 'checkpoint';
  /** The checkpoint id, `<step>/<time id>`. */
  readonly id: string;
  /** The step it belongs to. */
  readonly step: string;
  /** The run that saved it, when known. */
  readonly run?: string;
  /** When it was saved (ISO 8601): the sidecar's, else the source's, else its id's time. */
  readonly createdAt: string;
  /** Payload size in bytes, when known. */
  readonly size?: number;
  /** The storage key of its payload (an external file for a checkpoint Cairn did not write). */
  readonly payloadKey: string;
  /** Its metadata, from the source that answered. */
  readonly metadata: Readonly<Record<string, JsonValue>>;
  /** Its metrics, from the source that answered. */
  readonly metrics: Readonly<Record<string, number>>;
  /** Its tags, from the source that answered. */
  readonly tags: readonly string[];
  /** The training epoch, when the source knows it. */
  readonly epoch?: number;
  /** The training (global) step, when the source knows it. */
  readonly trainingStep?: number;
  /** The run as the answering source describes it (a W&B run, a Lightning version…). */
  readonly sourceRun?: SourceRun;
  /**
   * The name of the source that answered (`sidecar`, `wandb`, `lightning`…), or `none` when no
   * source could: the entry then carries only what its id says, and `skipped` says why.
   */
  readonly source: string;
  /** Where exactly the answer came from: a key, a URL. */
  readonly origin?: string;
  /** Present when a cache answered for a remote source. */
  readonly cached?: CachedAnswer;
  /** The sources asked before the one that answered, with why each did not. */
  readonly skipped: readonly SkippedSource[];
  /** The sidecar, when it could be read (it is the commit marker even when others answered). */
  readonly record?: CheckpointRecord;
  /**
   * For a checkpoint Cairn did not write: which source `index` took its sidecar's metadata from
   * (`lightning`, `wandb`…), when and from where. `source` is then `sidecar`.
   */
  readonly indexed?: IndexedFrom;
}
