import { parse, stringify } from 'yaml';
import { abortedError } from '../errors/aborted-error.js';
import { CairnError, isCairnError } from '../errors/cairn-error.js';
import { runKeys } from '../naming/layout.js';
import { readAll, sha256Of } from '../storage/body.js';
import type { Storage } from '../storage/storage.js';
import type { EnvironmentCapture } from './capture-environment.js';
import {
  type EnvironmentRecord,
  environmentRecordFormat,
  environmentRecordSchema,
} from './environment-record.js';

const backend = 'environment';

/** Options of {@link storeEnvironment}. */
export interface StoreEnvironmentOptions {
  /** Cancels the writes; what was already written stays (both writes are create-only). */
  readonly signal?: AbortSignal;
  /**
   * Which attempt of the run the capture describes (default 1): a resumed attempt may run on
   * another machine or commit, so each attempt has its own record.
   */
  readonly attempt?: number;
}

/** The keys {@link storeEnvironment} wrote. */
export interface StoredEnvironment {
  /** Key of the environment record (YAML). */
  readonly record: string;
  /** Key of the git diff, when the capture had one. */
  readonly gitDiff?: string;
}

function checkSignal(signal: AbortSignal | undefined, run: string): void {
  if (signal?.aborted) {
    throw abortedError(backend, signal.reason, `Storing the environment of run "${run}"`, {
      details: { run },
    });
  }
}

async function readBytes(storage: Storage, key: string): Promise<Buffer | undefined> {
  try {
    const { body } = await storage.get(key);
    return await readAll(body);
  } catch (error) {
    if (isCairnError(error, 'NOT_FOUND')) return undefined;
    throw error;
  }
}

/**
 * Writes `content` only if nothing is at `key`. Finding the same bytes already there is
 * success, so a store that crashed or timed out after a write can simply be run again.
 */
async function createOnce(
  storage: Storage,
  key: string,
  content: string,
  contentType: string,
  run: string,
  signal: AbortSignal | undefined,
): Promise<void> {
  const sha256 = sha256Of(content);
  try {
    await storage.put(key, content, {
      ifNoneMatch: '*',
      contentType,
      expectedSha256: sha256,
      ...(signal === undefined ? {} : { signal }),
    });
    return;
  } catch (error) {
    if (!isCairnError(error, 'PRECONDITION_FAILED')) throw error;
  }
  const existing = await readBytes(storage, key);
  if (existing !== undefined && sha256Of(existing) === sha256) return;
  throw new CairnError({
    code: 'PRECONDITION_FAILED',
    backend,
    message: `Run "${run}" already has a different environment stored at "${key}". A run records its environment once, when it starts; capture again only for a new run.`,
    details: { run, key },
  });
}

/**
 * Stores a capture beside run `run`: the git diff first, as its own blob
 * (`runKeys(run).gitDiff`), then the record as YAML (`runKeys(run).environment`) naming the
 * diff's key and SHA-256. The record is written last, so a record that exists never points
 * at a missing diff. Both writes are create-only; storing the same capture again succeeds.
 *
 * @throws CairnError `INVALID_OPTIONS` for a bad run id or a record that does not validate;
 *   `PRECONDITION_FAILED` when the run already has a different environment; `ABORTED`;
 *   the storage's own errors.
 */
export async function storeEnvironment(
  storage: Storage,
  run: string,
  capture: EnvironmentCapture,
  options: StoreEnvironmentOptions = {},
): Promise<StoredEnvironment> {
  const { signal } = options;
  const keys = attemptKeys(run, options.attempt);
  let record: EnvironmentRecord = capture.record;
  if (capture.gitDiff !== undefined) {
    const reference = record.git?.diff;
    const sha256 = sha256Of(capture.gitDiff);
    if (record.git === undefined || reference === undefined || reference.sha256 !== sha256) {
      throw new CairnError({
        code: 'INVALID_OPTIONS',
        backend,
        message: `The capture's git diff does not match the digest in its record (record.git.diff). Store the capture captureEnvironment returned, unchanged.`,
        details: { run },
      });
    }
    record = { ...record, git: { ...record.git, diff: { ...reference, key: keys.gitDiff } } };
  }
  const checked = environmentRecordSchema.safeParse(record);
  if (!checked.success) {
    throw new CairnError({
      code: 'INVALID_OPTIONS',
      backend,
      message: `The environment record for run "${run}" does not validate (${checked.error.issues.map((issue) => `${issue.path.join('.') || 'record'}: ${issue.message}`).join('; ')}). Store the capture captureEnvironment returned.`,
      details: { run },
    });
  }
  checkSignal(signal, run);
  if (capture.gitDiff !== undefined) {
    await createOnce(
      storage,
      keys.gitDiff,
      capture.gitDiff,
      'text/x-diff; charset=utf-8',
      run,
      signal,
    );
    checkSignal(signal, run);
  }
  await createOnce(
    storage,
    keys.environment,
    stringify(checked.data),
    'application/yaml; charset=utf-8',
    run,
    signal,
  );
  return {
    record: keys.environment,
    ...(capture.gitDiff === undefined ? {} : { gitDiff: keys.gitDiff }),
  };
}

function corrupt(run: string, key: string, problem: string, cause?: unknown): CairnError {
  return new CairnError({
    code: 'CORRUPT_DATA',
    backend,
    message: `The environment of run "${run}": "${key}" ${problem}. Restore it from a backup copy, or ignore it: it only describes the run.`,
    details: { run, key },
    ...(cause === undefined ? {} : { cause }),
  });
}

/** The keys of one attempt's capture. */
function attemptKeys(run: string, attempt = 1): { environment: string; gitDiff: string } {
  if (!Number.isSafeInteger(attempt) || attempt < 1) {
    throw new CairnError({
      code: 'INVALID_OPTIONS',
      backend,
      message: `attempt is ${String(attempt)}; use a whole number from 1 (the run's first attempt).`,
      details: { run },
    });
  }
  const keys = runKeys(run);
  return { environment: keys.environmentOf(attempt), gitDiff: keys.gitDiffOf(attempt) };
}

/** Options of {@link readEnvironment} and {@link readGitDiff}. */
export interface ReadEnvironmentOptions {
  /** Which attempt's capture (default 1, the run's first). */
  readonly attempt?: number;
}

/**
 * Reads the environment record of run `run` (of its first attempt, or of `attempt`), or
 * undefined when none was stored.
 *
 * @throws CairnError `CORRUPT_DATA` when the record is not valid YAML or not a record;
 *   `UNSUPPORTED` when a newer Cairn wrote it in a format this one does not know.
 */
export async function readEnvironment(
  storage: Storage,
  run: string,
  options: ReadEnvironmentOptions = {},
): Promise<EnvironmentRecord | undefined> {
  const key = attemptKeys(run, options.attempt).environment;
  const bytes = await readBytes(storage, key);
  if (bytes === undefined) return undefined;
  let value: unknown;
  try {
    value = parse(bytes.toString('utf8'));
  } catch (error) {
    throw corrupt(run, key, 'is not valid YAML', error);
  }
  const format = (value as { format?: unknown } | null)?.format;
  if (typeof format === 'string' && format !== environmentRecordFormat) {
    throw new CairnError({
      code: 'UNSUPPORTED',
      backend,
      message: `The environment of run "${run}" is in format "${format}", which this version of Cairn cannot read (it reads "${environmentRecordFormat}"). Upgrade @cairn/kernel.`,
      details: { run, key, format },
    });
  }
  const parsed = environmentRecordSchema.safeParse(value);
  if (!parsed.success) {
    const problems = parsed.error.issues.map(
      (issue) => `${issue.path.join('.') || 'record'}: ${issue.message}`,
    );
    throw corrupt(run, key, `is not an environment record (${problems.join('; ')})`);
  }
  return parsed.data;
}

/**
 * Reads the git diff stored with run `run` and checks it against the SHA-256 its record
 * names; undefined when the run has no record or the record has no diff.
 *
 * @throws CairnError `CORRUPT_DATA` when the diff is missing or does not match its digest.
 */
export async function readGitDiff(
  storage: Storage,
  run: string,
  options: ReadEnvironmentOptions = {},
): Promise<string | undefined> {
  const record = await readEnvironment(storage, run, options);
  const reference = record?.git?.diff;
  if (reference?.key === undefined) return undefined;
  const { key } = reference;
  const bytes = await readBytes(storage, key);
  if (bytes === undefined) throw corrupt(run, key, 'is missing, though the record names it');
  if (sha256Of(bytes) !== reference.sha256) {
    throw corrupt(run, key, 'does not match the SHA-256 its record names');
  }
  return bytes.toString('utf8');
}
