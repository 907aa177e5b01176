import { stringify } from 'yaml';
import { CairnError } from '../errors/cairn-error.js';
import { parseRunId } from '../naming/layout.js';
import { validateName } from '../naming/names.js';
import { type RunLease, unenforceable } from '../runs/run-lease.js';
import type { StorageBody } from '../storage/storage.js';
import type { SaveInput } from './checkpoint-store.js';
import { checkpointsBackend } from './checkpoints-backend.js';
import { findJsonProblem, type JsonValue } from './json-value.js';

/** Largest metadata, measured as the YAML it becomes in the sidecar. */
export const maxCheckpointMetadataBytes = 64 * 1024;
/** Most tags on one checkpoint. */
export const maxTags = 100;
/** Longest tag, metric or metadata key, in characters. */
export const maxLabelLength = 200;
/** Most metrics on one checkpoint. */
export const maxMetrics = 1000;

/** The payload of a save, one of three kinds. */
export type SavePayload =
  | { readonly kind: 'state'; readonly state: unknown; readonly codec: string }
  | { readonly kind: 'body'; readonly body: StorageBody; readonly contentType: string | undefined }
  | { readonly kind: 'file'; readonly file: string; readonly contentType: string | undefined };

/** A save's input once checked. */
export interface ValidSave {
  /** The run id, checked. */
  readonly run: string;
  /** The step name, checked. */
  readonly step: string;
  /** A copy of the caller's metadata: later changes by the caller do not leak into the sidecar. */
  readonly metadata: Record<string, JsonValue>;
  /** A copy of the caller's metrics. */
  readonly metrics: Record<string, number>;
  /** Tags without repeats, in the order first given. */
  readonly tags: string[];
  /** What to store. */
  readonly payload: SavePayload;
  /** The run lease that fences the commit, if any. */
  readonly lease: RunLease | undefined;
  /** The caller's signal. */
  readonly signal: AbortSignal | undefined;
}

function invalid(message: string, details: Record<string, unknown> = {}): CairnError {
  return new CairnError({ code: 'INVALID_OPTIONS', backend: checkpointsBackend, message, details });
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const prototype = Object.getPrototypeOf(value);
  return prototype === Object.prototype || prototype === null;
}

/**
 * Checks everything a save takes before anything is written.
 * @throws CairnError `INVALID_OPTIONS` saying which field is wrong and how to fix it.
 */
export function validateSaveInput(input: SaveInput): ValidSave {
  if (typeof input !== 'object' || input === null) {
    throw invalid(
      'save() takes an object: { run, step, state } or { run, step, body } or { run, step, file }.',
    );
  }
  parseRunId(input.run);
  validateName('step', input.step);
  return {
    run: input.run,
    step: input.step,
    metadata: validateMetadata(input.metadata),
    metrics: validateMetrics(input.metrics),
    tags: validateTags(input.tags),
    payload: validatePayload(input),
    lease: validateLease(input.lease, input.run),
    signal: input.signal,
  };
}

/**
 * Checks a run lease given to a save: it must be a run's `lease`, belong to the run saved to
 * (a lease of another run would fence nothing), and be enforceable (its run's storage has
 * conditional writes).
 * @throws CairnError `INVALID_OPTIONS` for something that is not a lease of this run;
 *   `UNSUPPORTED` for a lease on a storage without conditional writes.
 */
export function validateLease(lease: unknown, run: string): RunLease | undefined {
  if (lease === undefined) return undefined;
  const candidate = lease as Partial<RunLease> | null;
  if (
    typeof candidate !== 'object' ||
    candidate === null ||
    typeof candidate.confirm !== 'function' ||
    typeof candidate.run !== 'string' ||
    !Number.isSafeInteger(candidate.generation) ||
    (candidate.generation ?? 0) < 1
  ) {
    throw invalid('`lease` must be the `lease` of a started run (run.lease).');
  }
  if (candidate.run !== run) {
    throw invalid(
      `\`lease\` is the lease of run "${candidate.run}", but the checkpoint is saved to run "${run}". Pass the lease of the run you save to.`,
      { run, leaseRun: candidate.run },
    );
  }
  // Refused before anything is written: such a lease would let a stale owner win.
  if (candidate.enforceable === false) throw unenforceable(run);
  return candidate as RunLease;
}

function validatePayload(input: SaveInput): SavePayload {
  const kinds = (['state', 'body', 'file'] as const).filter((kind) => Object.hasOwn(input, kind));
  if (kinds.length !== 1) {
    throw invalid(
      `save() takes exactly one of state, body or file; got ${kinds.length === 0 ? 'none' : kinds.join(' and ')}.`,
    );
  }
  if (kinds[0] === 'state') {
    const codec = input.codec ?? 'json';
    if (typeof codec !== 'string')
      throw invalid('`codec` must be the name of a codec, e.g. "json".');
    return { kind: 'state', state: input.state, codec };
  }
  const contentType = validateContentType(input.contentType);
  if (kinds[0] === 'file') {
    if (typeof input.file !== 'string' || input.file.length === 0) {
      throw invalid('`file` must be the path of the file to save.');
    }
    return { kind: 'file', file: input.file, contentType };
  }
  if (input.body === undefined || input.body === null) {
    throw invalid('`body` must be bytes, a string or a stream.');
  }
  return { kind: 'body', body: input.body as StorageBody, contentType };
}

function validateContentType(contentType: unknown): string | undefined {
  if (contentType === undefined) return undefined;
  if (
    typeof contentType !== 'string' ||
    !/^[\x21-\x7e][\x20-\x7e]*$/.test(contentType) ||
    contentType.length > maxLabelLength
  ) {
    throw invalid(
      `\`contentType\` ${JSON.stringify(contentType)} is not a media type: use printable ASCII, e.g. "application/octet-stream".`,
    );
  }
  return contentType;
}

function validateMetadata(metadata: unknown): Record<string, JsonValue> {
  if (metadata === undefined) return {};
  if (!isPlainObject(metadata)) {
    throw invalid('`metadata` must be a plain object of JSON values, e.g. { epoch: 3 }.');
  }
  for (const key of Object.keys(metadata)) checkLabel('metadata key', key);
  const problem = findJsonProblem(metadata, 'metadata');
  if (problem !== undefined) {
    throw invalid(`${problem}. Metadata is stored as YAML in the sidecar: use plain JSON values.`, {
      problem,
    });
  }
  const bytes = Buffer.byteLength(stringify(metadata), 'utf8');
  if (bytes > maxCheckpointMetadataBytes) {
    throw invalid(
      `\`metadata\` takes ${bytes} bytes as YAML, more than the ${maxCheckpointMetadataBytes} a sidecar allows. Keep metadata small (it is read on every listing); save large data in the payload or as its own checkpoint.`,
      { bytes, limit: maxCheckpointMetadataBytes },
    );
  }
  return structuredClone(metadata) as Record<string, JsonValue>;
}

function validateMetrics(metrics: unknown): Record<string, number> {
  if (metrics === undefined) return {};
  if (!isPlainObject(metrics)) {
    throw invalid('`metrics` must be a plain object of numbers, e.g. { precision: 0.91 }.');
  }
  const entries = Object.entries(metrics);
  if (entries.length > maxMetrics) {
    throw invalid(`\`metrics\` has ${entries.length} entries; at most ${maxMetrics} are allowed.`);
  }
  for (const [name, value] of entries) {
    checkLabel('metric name', name);
    if (typeof value !== 'number' || !Number.isFinite(value)) {
      throw invalid(
        `Metric ${JSON.stringify(name)} is ${typeof value === 'number' ? value : typeof value}; metrics must be finite numbers. Leave a metric out rather than storing NaN.`,
        { metric: name },
      );
    }
  }
  return { ...(metrics as Record<string, number>) };
}

function validateTags(tags: unknown): string[] {
  if (tags === undefined) return [];
  if (!Array.isArray(tags)) throw invalid('`tags` must be an array of strings.');
  if (tags.length > maxTags) {
    throw invalid(`\`tags\` has ${tags.length} entries; at most ${maxTags} are allowed.`);
  }
  for (const tag of tags) checkLabel('tag', tag);
  return [...new Set(tags as string[])];
}

function checkLabel(kind: string, label: unknown): void {
  if (typeof label !== 'string' || label.length === 0 || label.length > maxLabelLength) {
    throw invalid(
      `The ${kind} ${JSON.stringify(label)} is not valid: it must be a string of 1 to ${maxLabelLength} characters.`,
    );
  }
}
