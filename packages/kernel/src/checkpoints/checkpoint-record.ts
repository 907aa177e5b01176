import { parse, stringify } from 'yaml';
import { z } from 'zod';
import { parseCheckpointId, parseRunId } from '../naming/layout.js';
import { namePattern } from '../naming/names.js';
import type { JsonValue } from './json-value.js';

/** The `format` of version 1 sidecars. */
export const checkpointFormat = 'cairn.checkpoint/v1';

/** Largest sidecar read: metadata may take 64 KiB, the rest is small. */
export const maxSidecarBytes = 256 * 1024;

const hexDigest = /^[0-9a-f]{64}$/;

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
    /** Payload size in bytes. */
    size: z.number().int().nonnegative(),
    /** Lowercase hex SHA-256 of the payload, computed by the store while writing it. */
    sha256: z.string().regex(hexDigest, 'expected 64 lowercase hex digits'),
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
  })
  .refine((record) => record.id.startsWith(`${record.step}/`), {
    message: 'id must start with the step',
    path: ['id'],
  });

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
    value = parse(bytes.toString('utf8'));
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
