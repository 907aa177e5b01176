import { stringify } from 'yaml';
import type { MetadataAnswer } from '../catalog/metadata-source.js';
import {
  type CheckpointRecord,
  checkpointFormat,
  checkpointRecordSchema,
} from '../checkpoints/checkpoint-record.js';
import type { JsonValue } from '../checkpoints/json-value.js';
import {
  maxCheckpointMetadataBytes,
  maxLabelLength,
  maxMetrics,
  maxTags,
} from '../checkpoints/save-input.js';
import { CairnError } from '../errors/cairn-error.js';
import type { ObjectInfo } from '../storage/storage.js';
import { indexingBackend } from './indexing-backend.js';
import { toJsonValue } from './json-metadata.js';

/** A source that was asked about a payload and did not answer, with why. */
export interface SkippedSourceReason {
  readonly source: string;
  readonly reason: string;
}

/** A payload a source described. */
export interface DescribedPayload {
  /** The payload as the listing reported it. */
  readonly payload: ObjectInfo;
  /** The source that answered. */
  readonly source: string;
  /** Its answer. */
  readonly answer: MetadataAnswer;
  /** The sources asked before it, with why they did not answer. */
  readonly skipped: readonly SkippedSourceReason[];
}

/** When the checkpoint was made: the answer's `createdAt`, else the payload's last write. */
export function checkpointTime(described: DescribedPayload): number {
  const answered =
    described.answer.createdAt === undefined ? Number.NaN : Date.parse(described.answer.createdAt);
  return Number.isFinite(answered) ? answered : described.payload.lastModified.getTime();
}

const yamlBytes = (value: unknown) => Buffer.byteLength(stringify(value), 'utf8');

/**
 * The answer's metadata, plus its epoch, training step and run, made to fit a sidecar: plain
 * JSON, keys of at most 200 characters, and at most 64 KiB as YAML. When it is larger, the
 * largest entries are left out (listed in `indexTruncated`) until it fits.
 */
export function fitMetadata(answer: MetadataAnswer): Record<string, JsonValue> {
  const metadata: Record<string, JsonValue> = {};
  for (const [key, value] of Object.entries(answer.metadata)) {
    const converted = toJsonValue(value);
    if (key.length > 0 && key.length <= maxLabelLength && converted !== undefined) {
      metadata[key] = converted;
    }
  }
  if (answer.epoch !== undefined) metadata.epoch = answer.epoch;
  if (answer.trainingStep !== undefined) metadata.trainingStep = answer.trainingStep;
  if (answer.run !== undefined) {
    const run = toJsonValue(answer.run);
    if (run !== undefined) metadata.sourceRun = run;
  }
  const dropped: string[] = [];
  while (yamlBytes(metadata) > maxCheckpointMetadataBytes - 4096) {
    const largest = Object.keys(metadata)
      .filter((key) => key !== 'indexTruncated')
      .sort((left, right) => yamlBytes(metadata[right]) - yamlBytes(metadata[left]))[0];
    if (largest === undefined) break;
    delete metadata[largest];
    dropped.push(largest);
    metadata.indexTruncated = [...dropped];
  }
  return metadata;
}

/** Finite metrics with names a sidecar takes, at most 1000. */
export function fitMetrics(metrics: Readonly<Record<string, number>>): Record<string, number> {
  const fitted: Record<string, number> = {};
  for (const [name, value] of Object.entries(metrics)) {
    if (Object.keys(fitted).length >= maxMetrics) break;
    if (name.length === 0 || name.length > maxLabelLength) continue;
    if (typeof value === 'number' && Number.isFinite(value)) fitted[name] = value;
  }
  return fitted;
}

/** Tags without repeats, of valid length, at most 100. */
export function fitTags(tags: readonly string[]): string[] {
  const unique = [...new Set(tags.filter((tag) => tag.length > 0 && tag.length <= maxLabelLength))];
  return unique.slice(0, maxTags);
}

/** What {@link buildIndexedRecord} takes. */
export interface IndexedRecordInput {
  readonly described: DescribedPayload;
  readonly id: string;
  readonly step: string;
  readonly run: string;
  /** When the sidecar is written (ISO 8601). */
  readonly at: string;
}

/**
 * The sidecar of an indexed checkpoint: its payload is `external` (key, etag, last write, size
 * from the listing; no SHA-256, the bytes were not read), and `indexed` says which source
 * answered, which did not and why, and from what key.
 * @throws CairnError `CORRUPT_DATA` if the result does not match the sidecar schema (a bug).
 */
export function buildIndexedRecord(input: IndexedRecordInput): CheckpointRecord {
  const { described, id, step, run, at } = input;
  const { payload, answer } = described;
  const record = {
    format: checkpointFormat,
    id,
    run,
    step,
    createdAt: new Date(checkpointTime(described)).toISOString(),
    size: payload.size,
    codec: 'raw',
    contentType: 'application/octet-stream',
    metadata: fitMetadata(answer),
    metrics: fitMetrics(answer.metrics),
    tags: fitTags(answer.tags),
    external: {
      key: payload.key,
      etag: payload.etag,
      lastModified: payload.lastModified.toISOString(),
    },
    indexed: {
      source: described.source,
      skipped: described.skipped.map((skipped) => ({ ...skipped })),
      at,
      ...(answer.origin === undefined ? {} : { origin: answer.origin }),
    },
  };
  const parsed = checkpointRecordSchema.safeParse(record);
  if (!parsed.success) {
    throw new CairnError({
      code: 'CORRUPT_DATA',
      backend: indexingBackend,
      message: `The sidecar made for "${payload.key}" does not match ${checkpointFormat} (${parsed.error.issues[0]?.message}). This is a bug in Cairn's indexing; please report it with the payload's key.`,
      details: { key: payload.key },
    });
  }
  return parsed.data as CheckpointRecord;
}

/** A record as canonical JSON (keys sorted), without `indexed.at`: equal when nothing changed. */
export function comparableRecord(record: CheckpointRecord): string {
  const { indexed, ...rest } = record;
  const comparable = {
    ...rest,
    ...(indexed === undefined ? {} : { indexed: { ...indexed, at: undefined } }),
  };
  return JSON.stringify(comparable, (_key, value: unknown) => {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) return value;
    return Object.fromEntries(
      Object.entries(value as Record<string, unknown>).sort(([left], [right]) =>
        left < right ? -1 : left > right ? 1 : 0,
      ),
    );
  });
}
