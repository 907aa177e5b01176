import { createHash } from 'node:crypto';
import { CORE_SCHEMA, load } from 'js-yaml';
import { stringify } from 'yaml';
import { z } from 'zod';
import { parseCheckpointId, parseRunId } from '../naming/layout.js';
import { namePattern } from '../naming/names.js';
import { timeIdPattern } from '../naming/time-id.js';
import type { JsonValue } from './json-value.js';

/** The `format` of version 1 sidecars. */
export const checkpointFormat = 'cairn.checkpoint/v1';

/** Largest sidecar read: metadata may take 64 KiB, the rest is small. */
export const maxSidecarBytes = 256 * 1024;

const hexDigest = /^[0-9a-f]{64}$/;

/** Most ranks one sharded checkpoint may have: the sidecar lists every shard and stays small. */
export const maxWorldSize = 1024;

/** One rank's shard as the sidecar of a sharded checkpoint lists it. */
export const committedShardSchema = z.object({
  /** The rank that wrote it, from 0. */
  rank: z.number().int().nonnegative(),
  /** Its size in bytes. */
  size: z.number().int().nonnegative(),
  /** Lowercase hex SHA-256 of its bytes, computed by the rank's store while writing them. */
  sha256: z.string().regex(hexDigest, 'expected 64 lowercase hex digits'),
  /** The write that stored it: its payload is `payload-<write>` in the rank's shard folder. */
  write: z.string().regex(timeIdPattern, 'expected a time id'),
});
/** One shard as a sidecar lists it; see {@link committedShardSchema}. */
export type CommittedShard = z.infer<typeof committedShardSchema>;

/** What the sidecar of a sharded checkpoint says about its shards. */
export const shardingSchema = z
  .object({
    /** The name every rank gave the checkpoint (a training step, `epoch-3`…). */
    name: z.string().regex(namePattern),
    /** How many ranks wrote it: one shard each, ranks 0 to `worldSize - 1`. */
    worldSize: z.number().int().positive().max(maxWorldSize),
    /** Every shard, by rank. */
    shards: z.array(committedShardSchema),
  })
  .refine(
    (sharding) =>
      sharding.shards.length === sharding.worldSize &&
      sharding.shards.every((shard, index) => shard.rank === index),
    { message: 'expected one shard per rank, ranks 0 to worldSize - 1 in order' },
  );
/** What a sidecar says about the shards of a sharded checkpoint. */
export type Sharding = z.infer<typeof shardingSchema>;

/**
 * Where the payload of a checkpoint Cairn did not write lives: `index` found it in the storage
 * and wrote a sidecar for it without reading it, so its SHA-256 is unknown and the object's
 * size and etag stand in for it.
 */
export const externalPayloadSchema = z.object({
  /** The payload's storage key, as `index` found it (e.g. a Lightning `.ckpt`). */
  key: z.string().min(1),
  /** Its etag when indexed: a payload whose etag has changed since is refused on read. */
  etag: z.string().min(1),
  /** When it was last written, as the storage reported it when indexed (ISO 8601). */
  lastModified: z.iso.datetime(),
});
/** See {@link externalPayloadSchema}. */
export type ExternalPayload = z.infer<typeof externalPayloadSchema>;

/** How `index` made a sidecar: which metadata source answered, and when. */
export const indexedFromSchema = z.object({
  /** The metadata source that answered (`wandb`, `lightning`, `safetensors`…). */
  source: z.string().min(1),
  /** The sources asked before it that had no answer, with why. */
  skipped: z.array(z.object({ source: z.string(), reason: z.string() })).default([]),
  /** When the sidecar was written (ISO 8601). */
  at: z.iso.datetime(),
  /** Where the answer came from: a file key, a URL. */
  origin: z.string().optional(),
});
/** See {@link indexedFromSchema}. */
export type IndexedFrom = z.infer<typeof indexedFromSchema>;

/**
 * The sidecar of a checkpoint: a small YAML file written after the payload has been verified.
 * Its existence is the commit marker; everything the catalog shows comes from it, never from
 * the payload.
 */
export const checkpointRecordSchema = z
  .object({
    /** Always `cairn.checkpoint/v1`. */
    format: z.literal(checkpointFormat),
    /** `<step>/<time id>`: sorts by time as a plain string. */
    id: z.string().refine(isCheckpointId, 'expected "<step>/<time id>"'),
    /** The run that saved it, `<pipeline>/<time id>`. */
    run: z.string().refine(isRunId, 'expected "<pipeline>/<time id>"'),
    /** The step it belongs to (the first part of `id`). */
    step: z.string().regex(namePattern),
    /** When it was saved (ISO 8601). */
    createdAt: z.iso.datetime(),
    /** Payload size in bytes; of a sharded checkpoint, the size of all its shards. */
    size: z.number().int().nonnegative(),
    /**
     * Lowercase hex SHA-256 of the payload, computed by the store while writing it. Of a
     * sharded checkpoint, the SHA-256 of its shard list ({@link shardListDigest}); each shard's
     * own digest is in `sharding`. Absent only for an `external` payload, whose bytes `index`
     * did not read.
     */
    sha256: z.string().regex(hexDigest, 'expected 64 lowercase hex digits').optional(),
    /** The codec that encoded the payload: `json`, `raw` or a custom codec's name. */
    codec: z.string().min(1),
    /** The payload's media type. */
    contentType: z.string().min(1),
    /** The caller's metadata (epoch, dataset, hyper-parameters…), plain JSON. */
    metadata: z.record(z.string(), z.json()),
    /** Numbers to rank and plot by (precision, recall, loss…). */
    metrics: z.record(z.string(), z.number()),
    /** Free labels to filter by. */
    tags: z.array(z.string()),
    /**
     * Position of this checkpoint among those of its run and step, from 1, as the saving store
     * counted them. `keepEvery` keeps by it, so pruning does not shift what "every n-th" means.
     * Absent in sidecars Cairn did not write.
     */
    sequence: z.number().int().positive().optional(),
    /**
     * The fencing generation (the run's attempt number) of the run lease the save held: the
     * save checked, just before and just after this sidecar was written, that the run was
     * still this attempt's. Absent when the save was not fenced.
     */
    leaseGeneration: z.number().int().positive().optional(),
    /**
     * Present when the checkpoint was written in shards by several ranks: it has no single
     * payload, and each shard is read by its rank.
     */
    sharding: shardingSchema.optional(),
    /** Present when the checkpoint is one Cairn did not write: where its payload is. */
    external: externalPayloadSchema.optional(),
    /** Present when `index` wrote this sidecar: which metadata source it came from. */
    indexed: indexedFromSchema.optional(),
  })
  .refine((record) => record.id.startsWith(`${record.step}/`), {
    message: 'id must start with the step',
    path: ['id'],
  })
  .refine((record) => record.sha256 !== undefined || record.external !== undefined, {
    message: 'required unless the payload is external',
    path: ['sha256'],
  })
  .refine((record) => record.sharding === undefined || record.external === undefined, {
    message: 'a sharded checkpoint cannot have an external payload',
    path: ['external'],
  })
  .refine(
    (record) =>
      record.sharding === undefined ||
      (record.size === record.sharding.shards.reduce((total, shard) => total + shard.size, 0) &&
        record.sha256 === shardListDigest(record.sharding.shards)),
    { message: 'size and sha256 must sum up and digest the shard list', path: ['sharding'] },
  );

/**
 * The `sha256` of a sharded checkpoint: the SHA-256 of one line per shard, `<rank> <size>
 * <sha256>\n`, by rank. It changes when any shard does, so two sharded checkpoints with the
 * same digest hold the same bytes.
 */
export function shardListDigest(shards: readonly CommittedShard[]): string {
  const hash = createHash('sha256');
  for (const shard of shards) hash.update(`${shard.rank} ${shard.size} ${shard.sha256}\n`);
  return hash.digest('hex');
}

/** The sidecar of a checkpoint; see {@link checkpointRecordSchema}. */
export type CheckpointRecord = Omit<z.infer<typeof checkpointRecordSchema>, 'metadata'> & {
  readonly metadata: Record<string, JsonValue>;
};

function isCheckpointId(value: string): boolean {
  try {
    parseCheckpointId(value);
    return true;
  } catch {
    return false;
  }
}

function isRunId(value: string): boolean {
  try {
    parseRunId(value);
    return true;
  } catch {
    return false;
  }
}

/** A sidecar as YAML, fields in schema order. */
export function formatSidecar(record: CheckpointRecord): string {
  return stringify(record, { lineWidth: 0 });
}

/** The outcome of reading sidecar bytes. */
export type SidecarParse =
  | { readonly ok: true; readonly record: CheckpointRecord }
  | { readonly ok: false; readonly reason: string };

/**
 * Parses sidecar bytes and checks them against the schema and against the id their key says
 * they belong to (a sidecar copied to another key would otherwise vouch for the wrong payload).
 */
export function parseSidecar(bytes: Buffer, expectedId: string): SidecarParse {
  let value: unknown;
  try {
    // js-yaml's core schema reads what `formatSidecar` writes the same way as the yaml package
    // (YAML 1.2 core: no timestamps, no merge keys) about ten times faster, which is what lets
    // a catalog read thousands of sidecars in about a second.
    value = load(bytes.toString('utf8'), { schema: CORE_SCHEMA });
  } catch (error) {
    return {
      ok: false,
      reason: `it is not valid YAML (${error instanceof Error ? error.message.split('\n')[0] : String(error)})`,
    };
  }
  const parsed = checkpointRecordSchema.safeParse(value);
  if (!parsed.success) {
    const issues = parsed.error.issues
      .slice(0, 5)
      .map((issue) => `${issue.path.join('.') || 'sidecar'}: ${issue.message}`);
    return { ok: false, reason: `it does not match ${checkpointFormat} (${issues.join('; ')})` };
  }
  if (parsed.data.id !== expectedId) {
    return {
      ok: false,
      reason: `it names checkpoint "${parsed.data.id}" but is stored as the sidecar of "${expectedId}"`,
    };
  }
  return { ok: true, record: parsed.data as CheckpointRecord };
}
