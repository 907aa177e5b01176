import { CairnError, isCairnError } from '../errors/cairn-error.js';
import { validateKey, validatePrefix } from './keys.js';
import type { MirrorContext } from './mirrored-storage-context.js';
import { publicInfo, recordedDigest } from './mirrored-storage-digest.js';
import {
  createEventReporter,
  describeCopy,
  type MirrorEventListener,
} from './mirrored-storage-events.js';
import { lendDigest } from './mirrored-storage-lent-digest.js';
import { type MirroredStorageOptions, resolveMirrorOptions } from './mirrored-storage-options.js';
import {
  type CopyProblem,
  copyError,
  noGoodCopy,
  reportProblem,
} from './mirrored-storage-problems.js';
import { getMirrored } from './mirrored-storage-read.js';
import { type ScrubOptions, type ScrubReport, scrubMirror } from './mirrored-storage-scrub.js';
import { putMirrored } from './mirrored-storage-write.js';
import type {
  DeleteOptions,
  GetOptions,
  ListOptions,
  ListPage,
  ListPageOptions,
  ObjectInfo,
  PutOptions,
  Storage,
  StorageBody,
  StorageCapabilities,
} from './storage.js';

/** A storage that keeps every object on two or more backends and heals them from each other. */
export interface MirroredStorage extends Storage {
  /** The copies, primary first, then the backups in the order given. */
  readonly copies: readonly Storage[];
  /**
   * Reads every copy of every object under a prefix (the union of all copies' listings, so an
   * object the primary lost is found too), compares each with its recorded digest and with the
   * copy the mirror trusts (the primary when it is good; never a backup holding another version
   * than the primary recorded), and rewrites the copies that are missing, corrupt or stale.
   * A copy without a digest of its own that comes before the trusted one is reported, never
   * rewritten: it may hold a newer version. Reads every byte of every copy: run it on a
   * schedule, not on a hot path.
   */
  scrub(options?: ScrubOptions): Promise<ScrubReport>;
  /**
   * Adds a listener for every event this mirror reports from now on, besides the `onEvent`
   * given at creation (so a checkpoint store can report what a read found). A throwing
   * listener is logged and otherwise ignored.
   *
   * @returns a function that removes the listener.
   */
  subscribe(listener: MirrorEventListener): () => void;
}

/**
 * Mirrors objects over a primary and one or more backups, possibly of different kinds
 * (local disk + S3).
 *
 * - `put` writes every copy, streaming the body once (see {@link putMirrored} for conditional
 *   writes, which the primary arbitrates and whose backup copies racing writers cannot leave
 *   behind the primary).
 *   The etag callers see is the primary's.
 * - `get` verifies the bytes against their recorded SHA-256, falls back to the next copy when
 *   a copy is missing, corrupt or unreadable, and rewrites the bad copies from the good one.
 *   It never returns bytes that failed their own digest, never serves a backup holding another
 *   version than the one the primary recorded, and never rewrites a copy on the word of a
 *   digest borrowed from a copy that may hold another version (see {@link getMirrored}).
 *   Ranged reads are refused: a slice cannot be verified.
 * - `head` asks the primary, then the backups if the primary lacks the object. A copy that
 *   recorded no digest gets one only from a backup provably holding the same version.
 * - When no copy has the object and some copy could not answer, `get` and `head` throw a
 *   retryable `TRANSIENT_IO` instead of saying it is absent: an unreachable backup may be the
 *   only one that still holds it.
 * - `list` and `listPage` trust the primary's listing; `scrub` finds what only backups hold.
 * - `delete` removes the backups first and the primary next, so a delete that fails half-way
 *   leaves an object that is still readable, not one a read would resurrect from a backup;
 *   then it removes the backups once more, in case a read or scrub repaired one meanwhile. A
 *   repair that lands after that finds its source gone and undoes itself.
 *
 * @throws CairnError `INVALID_OPTIONS` when fewer than two copies are given or an option is
 *   malformed.
 *
 * @example
 * const storage = createMirroredStorage({
 *   copies: { primary: createFsStorage({ root: '.cairn' }), backups: [s3] },
 *   onEvent: (event) => console.warn(event.type, event.key),
 * });
 */
export function createMirroredStorage(options: MirroredStorageOptions): MirroredStorage {
  const resolved = resolveMirrorOptions(options);
  const { copies, name } = resolved;
  const primary = copies[0] as Storage;
  const logger = resolved.logger.child({ backend: name });
  const subscribers = new Set<MirrorEventListener>();
  const context: MirrorContext = {
    copies,
    name,
    report: createEventReporter(logger, resolved.onEvent, subscribers),
    logger,
    bufferLimitBytes: resolved.bufferLimitBytes,
    repair: resolved.repair,
  };
  const keyLimits = copies.flatMap((copy) =>
    copy.capabilities.maxKeyBytes === undefined ? [] : [copy.capabilities.maxKeyBytes],
  );
  const maxKeyBytes = keyLimits.length === 0 ? undefined : Math.min(...keyLimits);
  const keyRules = {
    backend: name,
    ...(maxKeyBytes === undefined ? {} : { maxBytes: maxKeyBytes }),
  };
  const capabilities: StorageCapabilities = {
    conditionalWrites: primary.capabilities.conditionalWrites,
    rangedReads: false,
    sha256: true,
    atomicPut: copies.every((copy) => copy.capabilities.atomicPut),
    ...(maxKeyBytes === undefined ? {} : { maxKeyBytes }),
  };

  /** A lent digest for `head`, only when it provably belongs to the version at hand. */
  async function provenDigest(key: string, index: number, info: ObjectInfo) {
    const lent = await lendDigest(context, key, index, info);
    return lent?.proven === true ? lent.sha256 : undefined;
  }

  async function deleteBackups(key: string, options: DeleteOptions, sweep: 'first' | 'again') {
    const results = await Promise.allSettled(
      copies.slice(1).map((backup) => backup.delete(key, options)),
    );
    const failed = results.findIndex((result) => result.status === 'rejected');
    if (failed < 0) return;
    const error = (results[failed] as PromiseRejectedResult).reason;
    const copy = describeCopy(copies, failed + 1);
    throw new CairnError({
      code: isCairnError(error) ? error.code : 'TRANSIENT_IO',
      ...(isCairnError(error) ? { retryable: error.retryable } : {}),
      backend: name,
      message:
        sweep === 'first'
          ? `Deleting "${key}" from ${copy} failed, so the primary was left untouched and the object is still readable. Retry the delete.`
          : `"${key}" was deleted from every copy, but removing it once more from ${copy} (in case a concurrent repair put it back) failed. Retry the delete.`,
      cause: error,
      details: { key, copy: failed + 1, primaryDeleted: sweep === 'again' },
    });
  }

  const storage: MirroredStorage = {
    name,
    capabilities,
    copies,

    async put(key: string, body: StorageBody, putOptions: PutOptions = {}): Promise<ObjectInfo> {
      validateKey(key, keyRules);
      return putMirrored(context, key, body, putOptions);
    },

    async get(key: string, getOptions: GetOptions = {}) {
      validateKey(key, keyRules);
      return getMirrored(context, key, getOptions);
    },

    async head(key: string): Promise<ObjectInfo | undefined> {
      validateKey(key, keyRules);
      const problems: CopyProblem[] = [];
      for (const [index, copy] of copies.entries()) {
        let info: ObjectInfo | undefined;
        try {
          info = await copy.head(key);
        } catch (error) {
          problems.push({ kind: 'unreadable', index, error });
          continue;
        }
        if (info === undefined) {
          problems.push({ kind: 'missing', index });
          continue;
        }
        // Only worth reporting once another copy shows the object does exist.
        for (const problem of problems) reportProblem(context, key, problem);
        return publicInfo(info, recordedDigest(info) ?? (await provenDigest(key, index, info)));
      }
      if (problems.every((problem) => problem.kind === 'missing')) return undefined;
      throw noGoodCopy(context, key, problems);
    },

    async *list(listOptions: ListOptions = {}): AsyncGenerator<ObjectInfo> {
      validatePrefix(listOptions.prefix ?? '', keyRules);
      // The primary's own walk, not page by page through listPage: backends such as fs list a
      // whole prefix in one pass.
      const iterator = primary.list(listOptions)[Symbol.asyncIterator]();
      let finished = false;
      try {
        for (;;) {
          let next: IteratorResult<ObjectInfo>;
          try {
            next = await iterator.next();
          } catch (error) {
            finished = true;
            throw copyError(context, 0, error);
          }
          if (next.done === true) {
            finished = true;
            return;
          }
          yield publicInfo(next.value);
        }
      } finally {
        // A caller that stops early must not leave the primary's walk holding a handle open.
        if (!finished) await iterator.return?.();
      }
    },

    async listPage(listOptions: ListPageOptions = {}) {
      validatePrefix(listOptions.prefix ?? '', keyRules);
      let page: ListPage;
      try {
        page = await primary.listPage(listOptions);
      } catch (error) {
        throw copyError(context, 0, error);
      }
      return { ...page, objects: page.objects.map((info) => publicInfo(info)) };
    },

    async delete(key: string, deleteOptions: DeleteOptions = {}): Promise<void> {
      validateKey(key, keyRules);
      await deleteBackups(key, deleteOptions, 'first');
      try {
        await primary.delete(key, deleteOptions);
      } catch (error) {
        throw copyError(context, 0, error);
      }
      // A read or scrub that was repairing a backup from the primary while the first sweep
      // ran may have put the object back; it cannot come back once the primary is gone (a
      // repair that lands later finds its source deleted and undoes itself).
      await deleteBackups(key, deleteOptions, 'again');
    },

    async close(): Promise<void> {
      const results = await Promise.allSettled(copies.map((copy) => copy.close?.()));
      const failed = results.findIndex((result) => result.status === 'rejected');
      if (failed >= 0) {
        throw copyError(context, failed, (results[failed] as PromiseRejectedResult).reason);
      }
    },

    async scrub(scrubOptions: ScrubOptions = {}): Promise<ScrubReport> {
      validatePrefix(scrubOptions.prefix ?? '', keyRules);
      return scrubMirror(context, scrubOptions);
    },

    subscribe(listener: MirrorEventListener): () => void {
      if (typeof listener !== 'function') {
        throw new CairnError({
          code: 'INVALID_OPTIONS',
          backend: name,
          message: 'subscribe() takes a function that receives mirror events.',
        });
      }
      // Wrapped so that subscribing the same function twice gives two independent subscriptions.
      const subscription: MirrorEventListener = (event) => listener(event);
      subscribers.add(subscription);
      return () => {
        subscribers.delete(subscription);
      };
    },
  };
  return storage;
}
