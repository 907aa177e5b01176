/**
 * The error codes every Cairn package uses. Callers branch on `code`, never on message text.
 */
export const errorCodes = [
  /** The object, checkpoint, run or artifact does not exist. */
  'NOT_FOUND',
  /** A conditional write lost: the object exists (`ifNoneMatch: '*'`) or changed (`ifMatch`). */
  'PRECONDITION_FAILED',
  /** Two writers collided in a way that may succeed when tried again (e.g. S3 409 conflicts). */
  'CONFLICT',
  /** A storage key broke the key rules. */
  'INVALID_KEY',
  /** Options given to a factory or a call did not validate. */
  'INVALID_OPTIONS',
  /** `cairn.config.yaml` could not be read, parsed or validated. */
  'INVALID_CONFIG',
  /** A plugin named in the config could not be found or does not export a manifest. */
  'PLUGIN_NOT_FOUND',
  /** A backend lacks a capability the operation needs (e.g. conditional writes). */
  'UNSUPPORTED',
  /** An I/O failure that may pass: timeouts, resets, throttling, 5xx. */
  'TRANSIENT_IO',
  /** An I/O failure that will not pass by retrying: permissions, no space, bad bucket. */
  'PERMANENT_IO',
  /** Stored bytes do not match their recorded digest, or a record does not parse. */
  'CORRUPT_DATA',
  /** The caller's AbortSignal fired. */
  'ABORTED',
  /** A retry policy's overall deadline passed before an attempt succeeded. */
  'DEADLINE_EXCEEDED',
  /** A retry policy used all its attempts (and fallbacks) without success. */
  'RETRIES_EXHAUSTED',
  /** A pipeline step threw; the run is FAILED and an error record says why (see `cause`). */
  'STEP_FAILED',
] as const;

/** One of {@link errorCodes}. */
export type CairnErrorCode = (typeof errorCodes)[number];

/** Codes that are worth retrying unless the thrower says otherwise. */
const retryableByDefault: ReadonlySet<CairnErrorCode> = new Set(['TRANSIENT_IO', 'CONFLICT']);

/**
 * Marks Cairn errors so they are recognised across duplicate copies of this package (two
 * versions in one `node_modules` tree make `instanceof` unreliable). `Symbol.for` is shared by
 * every copy in the process.
 */
const brand = Symbol.for('@cairn/kernel/error');

/** What a {@link CairnError} is built from. */
export interface CairnErrorOptions {
  /** The machine-readable code. */
  code: CairnErrorCode;
  /** What went wrong and what to do about it, without the `[cairn] [backend]` prefix. */
  message: string;
  /** The part of Cairn that raised it, e.g. `fs`, `s3`, `config`; defaults to `kernel`. */
  backend?: string;
  /** Whether trying again may succeed; defaults by code (transient I/O and conflicts). */
  retryable?: boolean;
  /** The underlying error, kept for diagnosis. Never put secrets in it. */
  cause?: unknown;
  /** Structured facts for programs (a key, a path, a YAML path); never secrets. */
  details?: Readonly<Record<string, unknown>>;
  /** For retryable errors: how long the remote side asked us to wait (e.g. `Retry-After`). */
  retryAfterMs?: number;
}

/**
 * The one error class of Cairn. Messages read `[cairn] [<backend>] <what happened>. <what to do>.`
 *
 * Recognise it with {@link isCairnError}, not `instanceof`.
 */
export class CairnError extends Error {
  /** The machine-readable code. */
  readonly code: CairnErrorCode;
  /** The part of Cairn that raised it (`fs`, `s3`, `memory`, `config`, `retry`, …). */
  readonly backend: string;
  /** Whether trying the same operation again may succeed. */
  readonly retryable: boolean;
  /** Structured facts about the failure, safe to log. */
  readonly details: Readonly<Record<string, unknown>>;
  /** For retryable errors: the wait the remote side asked for, in milliseconds. */
  readonly retryAfterMs: number | undefined;
  /** Brand checked by {@link isCairnError}. */
  readonly [brand] = true;

  constructor(options: CairnErrorOptions) {
    const backend = options.backend ?? 'kernel';
    super(`[cairn] [${backend}] ${options.message}`, { cause: options.cause });
    this.name = 'CairnError';
    this.code = options.code;
    this.backend = backend;
    this.retryable = options.retryable ?? retryableByDefault.has(options.code);
    this.details = options.details ?? {};
    this.retryAfterMs = options.retryAfterMs;
  }
}

/**
 * Whether `value` is a Cairn error from any copy of the kernel, optionally with one of `codes`.
 *
 * @example
 * if (isCairnError(error, 'NOT_FOUND')) return undefined;
 */
export function isCairnError(value: unknown, ...codes: CairnErrorCode[]): value is CairnError {
  if (typeof value !== 'object' || value === null) return false;
  if ((value as Record<PropertyKey, unknown>)[brand] !== true) return false;
  return codes.length === 0 || codes.includes((value as CairnError).code);
}
