import { randomUUID } from 'node:crypto';
import { CairnError, isCairnError } from '../errors/cairn-error.js';
import { refuseWithoutConditionalWrites } from '../versions/create-version.js';
import { findHighestVersion } from '../versions/latest-version.js';
import { versionKey } from '../versions/version-keys.js';
import { type ArtifactContext, contentionDelay, isoNow } from './artifact-context.js';
import { readJsonRecord, serialiseRecord } from './artifact-json.js';
import { artifactKeys } from './artifact-layout.js';
import type { ArtifactVersionRecord } from './artifact-records.js';
import { artifactDigestClaimSchema } from './artifact-records.js';
import { readVersionRecord } from './artifact-versions.js';

/** Rounds of the protocol before giving up: each lost round means another writer progressed. */
const maxRounds = 200;

/** The version holding some content: its number, and whether this call created it. */
export interface CommittedVersion {
  readonly version: number;
  readonly created: boolean;
}

/**
 * Creates the version of `record`'s content, or finds the one that already holds it, so that
 * loggers of identical content — racing, slow, crashed or retrying — end up with one version,
 * without locks, clocks or waiting for each other:
 *
 * 1. The content's claim (`digests/<hex>.json`, created once) names the version number it is
 *    meant to get (`intent`): the highest version plus one when it is first claimed.
 * 2. Every logger of the content creates exactly `v<intent>` (create only if absent). One put
 *    wins; the others find `v<intent>` holding the same digest and return it (`created: false`).
 * 3. When `v<intent>` holds other content (its number was taken meanwhile), the claim's intent
 *    moves past the highest version by compare-and-swap, and the round repeats.
 *
 * A logger that crashes anywhere leaves either nothing, a claim whose intent the next logger
 * completes, or the version itself (found by digest). A put whose answer was lost is found on
 * the next round (the record carries this call's writer token: `created: true`).
 *
 * @throws CairnError `RETRIES_EXHAUSTED` after {@link maxRounds} lost rounds; `ABORTED`;
 *   storage errors that are not transient.
 */
export async function commitVersion(
  context: ArtifactContext,
  record: ArtifactVersionRecord,
  signal?: AbortSignal,
): Promise<CommittedVersion> {
  const name = record.name;
  const hex = record.digest.slice('sha256:'.length);
  const keys = artifactKeys(name);
  refuseWithoutConditionalWrites(context.storage, keys.folder);
  const claimKey = keys.digest(hex);
  const body = serialiseRecord(record);
  const storage = context.storage;
  const signalOption = signal === undefined ? {} : { signal };
  const wait = async (round: number) => {
    try {
      await context.clock.sleep(contentionDelay(context, round), signal);
    } catch {
      throw aborted(name, signal);
    }
  };
  const writeClaim = async (
    intent: number,
    condition: { ifNoneMatch: '*' } | { ifMatch: string },
  ) => {
    try {
      await storage.put(
        claimKey,
        serialiseRecord({
          format: 'cairn.artifact-digest/v1',
          digest: record.digest,
          intent,
          writer: record.writer,
          claimedAt: isoNow(context),
        }),
        { ...condition, contentType: 'application/json', ...signalOption },
      );
      return true;
    } catch (error) {
      if (isCairnError(error, 'PRECONDITION_FAILED')) return false;
      throw error;
    }
  };

  for (let round = 1; round <= maxRounds; round += 1) {
    if (signal?.aborted) throw aborted(name, signal);
    const claim = await readJsonRecord(storage, claimKey, artifactDigestClaimSchema, signal);
    if (claim === undefined) {
      const highest = await findHighestVersion(storage, keys.folder, 0, signal);
      // Losing this race only means another logger of the same content claimed it first.
      await writeClaim(highest + 1, { ifNoneMatch: '*' });
      continue;
    }
    const intent = claim.value.intent;
    try {
      await storage.put(versionKey(keys.folder, intent), body, {
        ifNoneMatch: '*',
        contentType: 'application/json',
        ...signalOption,
      });
      return { version: intent, created: true };
    } catch (error) {
      if (isCairnError(error, 'ABORTED') || signal?.aborted) throw aborted(name, signal, error);
      if (!isCairnError(error, 'PRECONDITION_FAILED')) {
        if (!(isCairnError(error) && error.retryable)) throw error;
        // The put may have landed with its answer lost: the next round finds out.
        await wait(round);
        continue;
      }
    }
    const holder = await readVersionRecord(context, name, intent, signal);
    if (holder === undefined) continue;
    if (holder.digest === record.digest) {
      return { version: intent, created: holder.writer === record.writer };
    }
    // Other content took the number: move the intent past the highest version.
    const highest = await findHighestVersion(storage, keys.folder, intent, signal);
    await writeClaim(highest + 1, { ifMatch: claim.etag });
    await wait(round);
  }
  throw new CairnError({
    code: 'RETRIES_EXHAUSTED',
    backend: 'artifacts',
    message: `Could not create a version of "${name}": other writers took the number ${maxRounds} times in a row. Log it again when fewer writers log "${name}" at once.`,
    details: { name, digest: record.digest },
  });
}

function aborted(name: string, signal: AbortSignal | undefined, cause?: unknown): CairnError {
  return new CairnError({
    code: 'ABORTED',
    backend: 'artifacts',
    message: `Logging artifact "${name}" was cancelled. A version may have been created if the write had already reached the storage; logging the same content again finds it instead of making another.`,
    cause: cause ?? signal?.reason,
  });
}

/** A fresh writer token: recognises this call's own version record. */
export function newWriterToken(): string {
  return randomUUID();
}
