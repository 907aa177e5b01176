import type { MetadataSource } from '../catalog/metadata-source.js';
import { isCairnError } from '../errors/cairn-error.js';
import type { Logger } from '../logging/logger.js';
import { scrubErrorText } from '../secrets/scrub-error-text.js';
import type { ObjectInfo, Storage } from '../storage/storage.js';
import type { SkippedPayload } from './index-report.js';
import type { DescribedPayload, SkippedSourceReason } from './indexed-sidecar.js';

/** What asking the chain about one payload gave. */
export type ChainOutcome =
  | { readonly status: 'found'; readonly described: DescribedPayload }
  | { readonly status: 'skipped'; readonly skipped: SkippedPayload };

/**
 * Asks `sources` in order about `payload`; the first `found` answers. Sources that answer
 * `not-found` or `unusable`, or throw, are recorded with why (a thrown message scrubbed of
 * secrets) and the next is asked. Only `ABORTED` is thrown on.
 */
export async function askSources(
  sources: readonly MetadataSource[],
  storage: Storage,
  payload: ObjectInfo,
  signal: AbortSignal | undefined,
  logger: Logger,
): Promise<ChainOutcome> {
  const reasons: SkippedSourceReason[] = [];
  for (const source of sources) {
    try {
      const lookup = await source.lookup({
        payloadKey: payload.key,
        storage,
        ...(signal === undefined ? {} : { signal }),
      });
      if (lookup.status === 'found') {
        return {
          status: 'found',
          described: { payload, source: source.name, answer: lookup.answer, skipped: reasons },
        };
      }
      reasons.push({ source: source.name, reason: lookup.reason });
    } catch (error) {
      if (isCairnError(error, 'ABORTED')) throw error;
      const reason = scrubErrorText(error instanceof Error ? error.message : String(error));
      logger.warn({ source: source.name, key: payload.key, reason }, 'metadata source failed');
      reasons.push({ source: source.name, reason: `it failed: ${reason}` });
    }
  }
  return { status: 'skipped', skipped: { payloadKey: payload.key, reasons } };
}

/** `work` over `items`, at most `limit` at once, results in the order of `items`. */
export async function mapLimited<Item, Result>(
  items: readonly Item[],
  limit: number,
  work: (item: Item) => Promise<Result>,
): Promise<Result[]> {
  const results: Result[] = new Array(items.length);
  let next = 0;
  let failed = false;
  const worker = async () => {
    // After one failure the others finish what they hold and take nothing new.
    while (next < items.length && !failed) {
      const index = next++;
      try {
        results[index] = await work(items[index] as Item);
      } catch (error) {
        failed = true;
        throw error;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}
