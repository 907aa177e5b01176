import { stringify } from 'yaml';
import { isCairnError } from '../errors/cairn-error.js';
import { runKeys } from '../naming/layout.js';
import { defaultTimeIds, type TimeIdGenerator } from '../naming/time-id.js';
import { scrubErrorText } from '../secrets/scrub-error-text.js';
import type { Storage } from '../storage/storage.js';

/**
 * What went wrong in a step, kept beside the run: `runs/<run>/errors/<time id>.yaml`. Messages
 * and the stack pass through `scrubErrorText`, so secrets an error quotes are not stored.
 */
export interface ErrorRecord {
  /** Format tag and version. */
  readonly format: 'cairn.error/v1';
  /** The run. */
  readonly run: string;
  /** The step it happened in, when inside one. */
  readonly step?: string;
  /** When (ISO 8601). */
  readonly time: string;
  /** The error's class name. */
  readonly name: string;
  /** Its message. */
  readonly message: string;
  /** A CairnError code, when it is one. */
  readonly code?: string;
  /** The stack trace. */
  readonly stack?: string;
  /** The chain of causes, outermost first. */
  readonly causes?: readonly { readonly name: string; readonly message: string }[];
}

/** Options for {@link writeErrorRecord}. */
export interface WriteErrorRecordOptions {
  /** The run it belongs to. */
  readonly run: string;
  /** The step, when inside one. */
  readonly step?: string;
  /** What was thrown. */
  readonly error: unknown;
  /** Time source. */
  readonly now?: () => number;
  /** Id source (the record's key sorts by time). */
  readonly timeIds?: TimeIdGenerator;
}

/** Builds the record for a thrown value, with secrets in its texts replaced by `[redacted]`. */
export function errorRecordOf(options: WriteErrorRecordOptions): ErrorRecord {
  const { error } = options;
  const causes: { name: string; message: string }[] = [];
  let cause = error instanceof Error ? error.cause : undefined;
  // Bounded: a cause chain can be cyclic.
  for (let depth = 0; cause !== undefined && depth < 8; depth++) {
    causes.push(
      cause instanceof Error
        ? { name: cause.name, message: scrubErrorText(cause.message) }
        : { name: 'NonError', message: scrubErrorText(String(cause)) },
    );
    cause = cause instanceof Error ? cause.cause : undefined;
  }
  return {
    format: 'cairn.error/v1',
    run: options.run,
    ...(options.step !== undefined ? { step: options.step } : {}),
    time: new Date((options.now ?? Date.now)()).toISOString(),
    name: error instanceof Error ? error.name : 'NonError',
    message: scrubErrorText(error instanceof Error ? error.message : String(error)),
    ...(isCairnError(error) ? { code: error.code } : {}),
    ...(error instanceof Error && error.stack !== undefined
      ? { stack: scrubErrorText(error.stack) }
      : {}),
    ...(causes.length > 0 ? { causes } : {}),
  };
}

/**
 * Stores an error record beside the run (create-only: a record is never rewritten).
 * @returns the record's key.
 */
export async function writeErrorRecord(
  storage: Storage,
  options: WriteErrorRecordOptions,
): Promise<string> {
  const key = runKeys(options.run).errorRecord((options.timeIds ?? defaultTimeIds).next());
  await storage.put(key, stringify(errorRecordOf(options), { lineWidth: 0 }), {
    ifNoneMatch: '*',
    contentType: 'application/yaml',
  });
  return key;
}
