import {
  CairnError,
  isCairnError,
  type Logger,
  type MetadataAnswer,
  type MetadataLookup,
  type MetadataSource,
  type MetadataSubject,
  retry,
  silentLogger,
} from '@cairn/kernel';
import { mapWandbRun } from './map-wandb-run.js';
import { type MappedRun, resolveWandbRun } from './resolve-wandb-run.js';
import { type CachedRun, WandbRunCache } from './wandb-cache.js';
import { requestRun } from './wandb-graphql-request.js';
import { formatRunPath } from './wandb-run-path.js';
import {
  resolveWandbSourceOptions,
  type WandbSourceOptions,
  wandbSourceName,
} from './wandb-source-options.js';

/** What the W&B source may be given besides its options. */
export interface WandbSourceHooks {
  /** Where cache problems and failed lookups are logged; silent by default. */
  readonly logger?: Logger;
  /** Milliseconds since the epoch, for the cache's time to live; default `Date.now`. */
  readonly now?: () => number;
  /** Where `WANDB_API_KEY` is read from; default `process.env`. */
  readonly environment?: Readonly<Record<string, string | undefined>>;
}

/** One request to W&B that several lookups of the same run wait for. */
interface SharedRequest {
  readonly promise: Promise<CachedRun>;
  /** Cancels the request once no lookup waits for it any more. */
  readonly controller: AbortController;
  /** Lookups waiting for it with a signal of their own that has not fired. */
  waiting: number;
}

/** Retries when the options give none: a few, quickly; a catalog listing is waiting. */
const defaultRetry = {
  maxAttempts: 3,
  initialDelayMs: 250,
  maxDelayMs: 4_000,
  maxRetryAfterMs: 30_000,
};

function aborted(subject: MetadataSubject): CairnError {
  return new CairnError({
    code: 'ABORTED',
    backend: wandbSourceName,
    message: `Looking up W&B metadata${subject.id === undefined ? '' : ` of checkpoint "${subject.id}"`} was aborted.`,
    cause: subject.signal?.reason,
  });
}

/** Whether an error says the key or its permissions are wrong: the caller must see it. */
function isRefusal(error: unknown): boolean {
  if (!isCairnError(error)) return false;
  const cause = error.code === 'RETRIES_EXHAUSTED' ? error.cause : error;
  const status = isCairnError(cause) ? cause.details?.status : undefined;
  return status === 401 || status === 403;
}

function messageOf(error: unknown): string {
  return error instanceof Error
    ? error.message.replace(/^\[cairn\] \[[^\]]+\] /, '')
    : String(error);
}

/**
 * A metadata source backed by the Weights & Biases public API: the run a checkpoint belongs to
 * (from its sidecar, the `runs` option, or a `wandb/` run folder beside it) answers with its
 * config, summary metrics, tags and state. Answers are cached (memory, and disk with
 * `cacheDirectory`) for `cacheTtlMs`; offline, or when W&B cannot be reached, the cache
 * answers and says so. A refused key (401/403) is thrown, never retried.
 *
 * @throws CairnError `INVALID_OPTIONS` for bad options or no API key (unless offline).
 */
export function createWandbSource(
  options: WandbSourceOptions,
  hooks: WandbSourceHooks = {},
): MetadataSource {
  const resolved = resolveWandbSourceOptions(options, hooks.environment);
  const logger = hooks.logger ?? silentLogger;
  const now = hooks.now ?? Date.now;
  const cache = new WandbRunCache(resolved.baseUrl, resolved.cacheDirectory, logger);
  // Many checkpoints of one run are looked up together: one request answers them all.
  const inFlight = new Map<string, SharedRequest>();
  let closed = false;

  const answerFrom = (
    cached: CachedRun,
    mapped: MappedRun,
    reason?: 'fresh' | 'offline' | 'unreachable',
  ): MetadataLookup => {
    const run = formatRunPath(mapped.path);
    if (cached.answer === null) {
      return {
        status: 'not-found',
        reason: `W&B has no run ${run} (its project or the run does not exist)`,
      };
    }
    let answer: MetadataAnswer;
    try {
      answer = mapWandbRun(cached.answer, mapped.path, resolved.baseUrl, mapped.mappedBy);
    } catch (error) {
      return { status: 'unusable', reason: `W&B run ${run} cannot be read: ${messageOf(error)}` };
    }
    return {
      status: 'found',
      answer:
        reason === undefined
          ? answer
          : { ...answer, cached: { fetchedAt: new Date(cached.fetchedAt).toISOString(), reason } },
    };
  };

  const fetchRun = (mapped: MappedRun, subject: MetadataSubject): Promise<CachedRun> => {
    const run = formatRunPath(mapped.path);
    let shared = inFlight.get(run);
    if (shared === undefined) {
      const controller = new AbortController();
      const promise = retry(
        async (attempt) => {
          const answer = await requestRun({
            baseUrl: resolved.baseUrl,
            apiKey: resolved.apiKey as string,
            timeoutMs: resolved.timeoutMs,
            path: mapped.path,
            signal: attempt.signal,
            now,
          });
          return { fetchedAt: now(), answer };
        },
        { ...defaultRetry, ...resolved.retry, signal: controller.signal },
      ).finally(() => inFlight.delete(run));
      promise.catch(() => {});
      shared = { promise, controller, waiting: 0 };
      inFlight.set(run, shared);
    }
    return waitFor(shared, subject);
  };

  /**
   * Waits for a shared request on behalf of one lookup: its own cancel ends its wait at once,
   * and the request itself is cancelled only when every lookup waiting for it has given up.
   */
  const waitFor = (shared: SharedRequest, subject: MetadataSubject): Promise<CachedRun> => {
    const { signal } = subject;
    shared.waiting += 1;
    if (signal === undefined) return shared.promise;
    return new Promise<CachedRun>((resolve, reject) => {
      const onAbort = () => {
        shared.waiting -= 1;
        if (shared.waiting === 0) shared.controller.abort(signal.reason);
        reject(aborted(subject));
      };
      signal.addEventListener('abort', onAbort, { once: true });
      shared.promise.then(
        (value) => {
          signal.removeEventListener('abort', onAbort);
          resolve(value);
        },
        (error: unknown) => {
          signal.removeEventListener('abort', onAbort);
          reject(error);
        },
      );
    });
  };

  return {
    name: wandbSourceName,
    async lookup(subject) {
      if (subject.signal?.aborted) throw aborted(subject);
      if (closed) {
        throw new CairnError({
          code: 'INVALID_OPTIONS',
          backend: wandbSourceName,
          message: 'The W&B source is closed; create a new one with createWandbSource.',
        });
      }
      const mapped = await resolveWandbRun(subject, resolved);
      if ('reason' in mapped) return { status: 'not-found', reason: mapped.reason };
      const run = formatRunPath(mapped.path);
      const cached = await cache.read(mapped.path);
      if (resolved.offline) {
        return cached === undefined
          ? { status: 'not-found', reason: `offline, and nothing is cached for W&B run ${run}` }
          : answerFrom(cached, mapped, 'offline');
      }
      if (cached !== undefined && now() - cached.fetchedAt < resolved.cacheTtlMs) {
        return answerFrom(cached, mapped, 'fresh');
      }
      let fetched: CachedRun;
      try {
        fetched = await fetchRun(mapped, subject);
      } catch (error) {
        if (subject.signal?.aborted) throw aborted(subject);
        if (isRefusal(error)) throw error;
        logger.warn({ run, reason: messageOf(error) }, 'W&B lookup failed');
        if (cached !== undefined) return answerFrom(cached, mapped, 'unreachable');
        const corrupt = isCairnError(error, 'CORRUPT_DATA') || isCairnError(error, 'PERMANENT_IO');
        return corrupt
          ? { status: 'unusable', reason: messageOf(error) }
          : {
              status: 'not-found',
              reason: `W&B could not be reached and nothing is cached: ${messageOf(error)}`,
            };
      }
      await cache.write(mapped.path, fetched);
      return answerFrom(fetched, mapped);
    },
    async close() {
      closed = true;
    },
  };
}
