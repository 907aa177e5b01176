import { createHash } from 'node:crypto';
import { z } from 'zod';
import type { CheckpointRecord } from '../checkpoints/checkpoint-record.js';
import { catalogIndexPrefix } from '../naming/layout.js';

/** The `format` of the catalog's index files. */
export const catalogIndexFormat = 'cairn.catalog-index/v1';

/**
 * What the index keeps of one sidecar: its record (or why it cannot be trusted) and the etag
 * it had when read, so a full refresh can tell a rewritten sidecar from an unchanged one.
 */
export type IndexedSidecar =
  | { readonly id: string; readonly etag: string; readonly record: CheckpointRecord }
  | { readonly id: string; readonly etag: string; readonly damaged: string };

/** One segment as the head lists it: a run of consecutive ids of the step. */
export const segmentReferenceSchema = z.object({
  /** The segment's key (content-addressed: a new content gets a new key). */
  key: z.string().min(1),
  /** Its first and last checkpoint ids. */
  first: z.string().min(1),
  last: z.string().min(1),
  /** How many sidecars it holds. */
  count: z.number().int().positive(),
  /** SHA-256 of its bytes: a segment that does not match is rebuilt, never trusted. */
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
});
/** See {@link segmentReferenceSchema}. */
export type SegmentReference = z.infer<typeof segmentReferenceSchema>;

/** The head of a step's index: its segments in id order and how far it has looked. */
export const stepHeadSchema = z.object({
  /** Always `cairn.catalog-index/v1`. */
  format: z.literal(catalogIndexFormat),
  /** The step. */
  step: z.string().min(1),
  /** The segments, in id order, ranges not overlapping. */
  segments: z.array(segmentReferenceSchema),
  /** The newest sidecar key a listing has seen; the next refresh lists from a little before. */
  listedThrough: z.string().optional(),
  /** The newest change record applied; the next refresh reads from a little before. */
  changesThrough: z.string().optional(),
  /**
   * Change records (in the window before `changesThrough`) whose effect the index already
   * holds: a refresh skips them instead of re-reading their sidecars.
   */
  settledChanges: z.array(z.string()).default([]),
  /** When this head was written (ISO 8601). */
  writtenAt: z.iso.datetime(),
});
/** See {@link stepHeadSchema}. */
export type StepHead = z.infer<typeof stepHeadSchema>;

/** Keys of the index of one step. */
export function stepIndexKeys(step: string) {
  const prefix = catalogIndexPrefix(step);
  return {
    /** The head (replaced with compare-and-swap). */
    head: `${prefix}head.json`,
    /** Prefix of the segments. */
    segmentsPrefix: `${prefix}segments/`,
    /** The key of a segment starting at `firstId` with these bytes. */
    segment: (firstId: string, sha256: string) =>
      `${prefix}segments/${firstId.slice(firstId.indexOf('/') + 1)}-${sha256.slice(0, 16)}.json`,
  };
}

/** A segment's bytes and its reference, ready to be written. */
export function encodeSegment(
  step: string,
  entries: readonly IndexedSidecar[],
): { readonly bytes: Buffer; readonly reference: SegmentReference } {
  const first = entries[0];
  const last = entries.at(-1);
  if (first === undefined || last === undefined) throw new RangeError('a segment needs entries');
  const bytes = Buffer.from(JSON.stringify({ format: catalogIndexFormat, step, entries }));
  const sha256 = createHash('sha256').update(bytes).digest('hex');
  return {
    bytes,
    reference: {
      key: stepIndexKeys(step).segment(first.id, sha256),
      first: first.id,
      last: last.id,
      count: entries.length,
      sha256,
    },
  };
}

/**
 * The entries of a segment's bytes, or the reason they cannot be used. The digest the head
 * recorded vouches for the content (the index wrote it from validated sidecars), so entries
 * are not validated one by one: that would cost more than reading the sidecars' YAML.
 */
export function decodeSegment(
  bytes: Buffer,
  reference: SegmentReference,
): { readonly entries: IndexedSidecar[] } | { readonly problem: string } {
  const sha256 = createHash('sha256').update(bytes).digest('hex');
  if (sha256 !== reference.sha256) {
    return { problem: `segment "${reference.key}" does not match the digest its head records` };
  }
  let value: unknown;
  try {
    value = JSON.parse(bytes.toString('utf8'));
  } catch {
    return { problem: `segment "${reference.key}" is not JSON` };
  }
  const entries = (value as { entries?: unknown } | null)?.entries;
  if (
    (value as { format?: unknown } | null)?.format !== catalogIndexFormat ||
    !Array.isArray(entries) ||
    entries.length !== reference.count
  ) {
    return { problem: `segment "${reference.key}" is not a ${catalogIndexFormat} segment` };
  }
  return { entries: entries as IndexedSidecar[] };
}
