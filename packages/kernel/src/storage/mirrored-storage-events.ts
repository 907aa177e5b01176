import { isCairnError } from '../errors/cairn-error.js';
import type { Logger } from '../logging/logger.js';
import { scrubErrorText } from '../secrets/scrub-error-text.js';
import type { Storage } from './storage.js';

/** Which copy of a mirror an event or a problem is about. */
export interface MirrorCopyReference {
  /** Position in the mirror: 0 is the primary, then the backups in the order given. */
  readonly copy: number;
  /** The copy's backend name (`memory`, `fs`, `s3`, …). */
  readonly copyName: string;
}

/** A copy had no object at the key while another copy (or the listing) expected one. */
export interface CopyMissingEvent extends MirrorCopyReference {
  /** Event kind. */
  readonly type: 'copy-missing';
  /** The object's key. */
  readonly key: string;
}

/** A copy's bytes do not match the digest recorded for them. */
export interface CopyCorruptEvent extends MirrorCopyReference {
  /** Event kind. */
  readonly type: 'copy-corrupt';
  /** The object's key. */
  readonly key: string;
  /** Hex SHA-256 the copy should have. */
  readonly expected: string;
  /** Hex SHA-256 of what was read, or a short description when the read stopped early. */
  readonly actual: string;
}

/**
 * A copy holds other bytes than the version the mirror looks for, and nothing says they are
 * damaged: another version, older or newer (a put that reached only some copies, a backup
 * that missed a later write, or a copy read between committing new bytes and recording their
 * digest). Reads never serve it in place of the version looked for and never rewrite it;
 * `scrub` rewrites it when it comes after the copy it trusts.
 */
export interface CopyStaleEvent extends MirrorCopyReference {
  /** Event kind. */
  readonly type: 'copy-stale';
  /** The object's key. */
  readonly key: string;
  /** Hex SHA-256 of the version the mirror looks for (or trusts, in a scrub). */
  readonly expected: string;
  /** Hex SHA-256 this copy holds (recorded, or computed when it recorded none). */
  readonly actual: string;
}

/** Reading a copy failed for another reason than missing or corrupt data (I/O, permissions). */
export interface CopyUnreadableEvent extends MirrorCopyReference {
  /** Event kind. */
  readonly type: 'copy-unreadable';
  /** The object's key. */
  readonly key: string;
  /** The error the copy raised. */
  readonly error: unknown;
}

/**
 * Bytes were served without verification: no copy recorded a digest for the object (it was
 * written around the mirror, to backends that keep none), or the only copy left to serve
 * recorded none of its own and differed from the digest another copy recorded (reported as
 * `copy-stale` first).
 */
export interface CopyUnverifiedEvent extends MirrorCopyReference {
  /** Event kind. */
  readonly type: 'copy-unverified';
  /** The object's key. */
  readonly key: string;
}

/** A bad copy was rewritten with verified bytes from a good one. */
export interface CopyRepairedEvent extends MirrorCopyReference {
  /** Event kind. */
  readonly type: 'copy-repaired';
  /** The object's key. */
  readonly key: string;
  /** Hex SHA-256 of the bytes written. */
  readonly sha256: string;
  /** Position of the copy the bytes came from. */
  readonly source: number;
}

/** Rewriting a bad copy failed; the read that found it still succeeded. */
export interface RepairFailedEvent extends MirrorCopyReference {
  /** Event kind. */
  readonly type: 'repair-failed';
  /** The object's key. */
  readonly key: string;
  /**
   * Why the repair failed: `PRECONDITION_FAILED` means another writer got there first;
   * `CONFLICT` that the source was deleted meanwhile, so the repair was undone.
   */
  readonly error: unknown;
}

/** One copy refused a put; the put as a whole rejects. */
export interface CopyWriteFailedEvent extends MirrorCopyReference {
  /** Event kind. */
  readonly type: 'copy-write-failed';
  /** The object's key. */
  readonly key: string;
  /** The error the copy raised. */
  readonly error: unknown;
}

/**
 * Everything a mirror reports about its copies. Events carry keys, digests and errors, never
 * object content.
 */
export type MirrorEvent =
  | CopyMissingEvent
  | CopyCorruptEvent
  | CopyStaleEvent
  | CopyUnreadableEvent
  | CopyUnverifiedEvent
  | CopyRepairedEvent
  | RepairFailedEvent
  | CopyWriteFailedEvent;

/** Receives {@link MirrorEvent}s; a throwing listener is logged and otherwise ignored. */
export type MirrorEventListener = (event: MirrorEvent) => void;

/** Sends an event to the listener and the logger. */
export type MirrorEventReporter = (event: MirrorEvent) => void;

/** Reference to copy `index` of `copies`, for events and error details. */
export function copyReference(copies: readonly Storage[], index: number): MirrorCopyReference {
  return { copy: index, copyName: copies[index]?.name ?? 'unknown' };
}

/** `copy 0 (fs, primary)`: how messages name a copy. */
export function describeCopy(copies: readonly Storage[], index: number): string {
  const name = copies[index]?.name ?? 'unknown';
  return index === 0 ? `copy 0 (${name}, primary)` : `copy ${index} (${name})`;
}

/**
 * Builds the reporter a mirror uses: every event as a warning to `logger`, then to `listener`
 * and to each of `subscribers` (read at the time of each event, so later subscriptions count).
 */
export function createEventReporter(
  logger: Logger,
  listener: MirrorEventListener | undefined,
  subscribers: ReadonlySet<MirrorEventListener> = new Set(),
): MirrorEventReporter {
  const deliver = (target: MirrorEventListener, event: MirrorEvent, source: string) => {
    try {
      target(event);
    } catch (listenerError) {
      // A broken listener must not turn a successful read into a failure.
      logger.error(
        { type: event.type, error: summariseError(listenerError) },
        `mirror ${source} listener threw`,
      );
    }
  };
  return (event) => {
    const { error, ...fields } = event as MirrorEvent & { error?: unknown };
    logger.warn(
      error === undefined ? fields : { ...fields, error: summariseError(error) },
      `mirror ${event.type}`,
    );
    if (listener !== undefined) deliver(listener, event, 'onEvent');
    for (const subscriber of [...subscribers]) deliver(subscriber, event, 'subscribe');
  };
}

/**
 * Code and message only: causes may hold request objects that are not safe to log. Secrets
 * the message quotes (a presigned URL's signature) are hidden.
 */
export function summariseError(error: unknown): { code?: string; message: string } {
  if (isCairnError(error)) return { code: error.code, message: scrubErrorText(error.message) };
  if (error instanceof Error) return { message: scrubErrorText(error.message) };
  return { message: scrubErrorText(String(error)) };
}
