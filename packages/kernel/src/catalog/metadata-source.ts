import type { z } from 'zod';
import type { CheckpointRecord } from '../checkpoints/checkpoint-record.js';
import type { JsonValue } from '../checkpoints/json-value.js';
import type { PluginManifest } from '../config/plugin.js';
import type { RunState } from '../runs/run-record.js';
import type { Storage } from '../storage/storage.js';

/**
 * What a metadata source is asked about: one checkpoint, found in a storage either by its
 * sidecar (the catalog) or as a payload file Cairn did not write (`index`).
 */
export interface MetadataSubject {
  /** The checkpoint's id (`<step>/<time id>`) when it has one in the catalog. */
  readonly id?: string;
  /**
   * The storage key of the checkpoint's payload: for a checkpoint Cairn wrote,
   * `checkpoints/<step>/<time id>/payload`; for one found by `index`, the file itself
   * (`lightning_logs/version_0/checkpoints/epoch=3-step=1200.ckpt`). Sources that infer
   * metadata look at the keys beside it.
   */
  readonly payloadKey: string;
  /**
   * What the sidecar says, when the checkpoint has a readable one (a remote source looks here
   * for the run it belongs to, e.g. `metadata.wandb`).
   */
  readonly record?: CheckpointRecord;
  /** The storage holding the checkpoint: sources read neighbouring files through it. */
  readonly storage: Storage;
  /** Cancels the lookup; a source stops and throws `ABORTED`. */
  readonly signal?: AbortSignal;
}

/** The run a checkpoint came from, as a source knows it. */
export interface SourceRun {
  /** The source's own id of the run (a W&B run id, a Cairn run id…). */
  readonly id?: string;
  /** A human name of the run. */
  readonly name?: string;
  /** Its state, mapped onto Cairn's run states. */
  readonly state?: RunState;
  /** Where to see it (a W&B run page), without any credential in it. */
  readonly url?: string;
  /** The group the run belongs to (W&B group, Lightning version folder…). */
  readonly group?: string;
  /** The job type (W&B `jobType`). */
  readonly jobType?: string;
  /** The git commit the run ran at. */
  readonly commit?: string;
  /** When the run was created (ISO 8601). */
  readonly createdAt?: string;
}

/** Where a cached answer came from and why the cache answered. */
export interface CachedAnswer {
  /** When the answer was fetched from the live source (ISO 8601). */
  readonly fetchedAt: string;
  /**
   * Why the cache answered: `fresh` (within its time to live), `offline` (the source is
   * configured offline), `unreachable` (the live source failed and a stale entry was used).
   */
  readonly reason: 'fresh' | 'offline' | 'unreachable';
}

/** What a source knows about a checkpoint. */
export interface MetadataAnswer {
  /** Free-form facts (epoch, dataset, hyper-parameters…), plain JSON. */
  readonly metadata: Readonly<Record<string, JsonValue>>;
  /** Numbers to rank and plot by (precision, recall, loss…); never NaN or infinite. */
  readonly metrics: Readonly<Record<string, number>>;
  /** Free labels to filter by. */
  readonly tags: readonly string[];
  /** The run the checkpoint came from, when the source knows it. */
  readonly run?: SourceRun;
  /** The training epoch the checkpoint was taken at, when known. */
  readonly epoch?: number;
  /** The training (global) step the checkpoint was taken at, when known. */
  readonly trainingStep?: number;
  /** When the checkpoint was made (ISO 8601), when known. */
  readonly createdAt?: string;
  /** Where exactly the answer came from: a file key, a URL (never with a credential). */
  readonly origin?: string;
  /** Present when a cache answered instead of the live source. */
  readonly cached?: CachedAnswer;
}

/**
 * The outcome of asking one source.
 *
 * - `found`: the source answered.
 * - `not-found`: the source has nothing on this checkpoint (no mapping, no such run, no files
 *   of its kind beside it); the chain asks the next source.
 * - `unusable`: the source has something but it cannot be trusted (a corrupt or schema-invalid
 *   sidecar, a malformed answer); the chain records the reason and asks the next source.
 *
 * A source throws only for what the caller must see: `ABORTED`, or a configuration error it
 * cannot recover from. The catalog records any other failure as the source's reason and goes on.
 */
export type MetadataLookup =
  | { readonly status: 'found'; readonly answer: MetadataAnswer }
  | { readonly status: 'not-found'; readonly reason: string }
  | { readonly status: 'unusable'; readonly reason: string };

/**
 * A place the catalog can get a checkpoint's metadata from: its sidecar, an experiment tracker
 * (W&B), or files beside it (Lightning, Hydra, safetensors…). The catalog asks its sources in
 * order and the first `found` answers; every entry says which source that was.
 */
export interface MetadataSource {
  /** The source's short name (`sidecar`, `wandb`, `lightning`); entries report it. */
  readonly name: string;
  /**
   * Looks the subject up. Never loads a payload: at most a few small neighbouring files or one
   * remote request. Must not mutate the subject.
   */
  lookup(subject: MetadataSubject): Promise<MetadataLookup>;
  /** Releases connections, timers and file handles; lookups after it are refused. */
  close?(): Promise<void>;
}

/** A metadata-source plugin's manifest (`metadataSources:` in `cairn.config.yaml`). */
export type MetadataSourcePluginManifest<Schema extends z.ZodType = z.ZodType> = PluginManifest<
  'metadata-source',
  Schema,
  MetadataSource
>;
