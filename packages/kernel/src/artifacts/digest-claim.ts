import { CairnError, isCairnError } from '../errors/cairn-error.js';
import { versionKey } from '../versions/version-keys.js';
import { type ArtifactContext, contentionDelay, isoNow } from './artifact-context.js';
import { readJsonRecord, serialiseRecord } from './artifact-json.js';
import { artifactKeys } from './artifact-layout.js';
import { type ArtifactDigestClaim, artifactDigestClaimSchema } from './artifact-records.js';
import { readVersionRecord, versionNumbers } from './artifact-versions.js';

/** The outcome of claiming a digest: this logger makes the version, or one already has. */
export type DigestClaim =
  | { readonly won: true; readonly etag: string; readonly claim: ArtifactDigestClaim }
  | { readonly won: false; readonly version: number };

/**
 * Claims the content digest `hex` of artifact `name` before a version is allocated, so that
 * loggers of the same content, racing or not, end up with one version:
 *
 * 1. create `digests/<hex>.json` (create-only) with this writer's token: won, go and create the
 *    version, then settle the claim with its number;
 * 2. the claim exists and names a version that exists: that version is the answer;
 * 3. it is unsettled (another logger is creating the version): wait for it. A claim older than
 *    `claimTimeoutMs` belongs to a logger that died: if its version was created (a record
 *    carries its token), settle the claim with it; otherwise take the claim over by
 *    compare-and-swap (exactly one waiter wins) and create the version.
 */
export async function claimDigest(
  context: ArtifactContext,
  name: string,
  hex: string,
  writer: string,
  signal?: AbortSignal,
): Promise<DigestClaim> {
  const key = artifactKeys(name).digest(hex);
  const storage = context.storage;
  const put = async (
    condition: { ifNoneMatch: '*' } | { ifMatch: string },
  ): Promise<DigestClaim | undefined> => {
    const claim: ArtifactDigestClaim = {
      format: 'cairn.artifact-digest/v1',
      digest: `sha256:${hex}`,
      writer,
      claimedAt: isoNow(context),
    };
    try {
      const info = await storage.put(key, serialiseRecord(claim), {
        ...condition,
        contentType: 'application/json',
        ...(signal === undefined ? {} : { signal }),
      });
      return { won: true, etag: info.etag, claim };
    } catch (error) {
      if (isCairnError(error, 'PRECONDITION_FAILED')) return undefined;
      throw error;
    }
  };
  for (let attempt = 1; ; attempt += 1) {
    if (signal?.aborted) throw aborted(name, signal);
    const created = await put({ ifNoneMatch: '*' });
    if (created !== undefined) return created;
    const current = await readJsonRecord(storage, key, artifactDigestClaimSchema, signal);
    if (current === undefined) continue;
    const settled = current.value.version;
    if (settled !== undefined) {
      if ((await storage.head(versionKey(artifactKeys(name).folder, settled))) !== undefined) {
        return { won: false, version: settled };
      }
      // The version it names is gone (deleted by hand): the content is new again.
      const taken = await put({ ifMatch: current.etag });
      if (taken !== undefined) return taken;
      continue;
    }
    const age = context.clock.now() - Date.parse(current.value.claimedAt);
    if (age >= context.claimTimeoutMs) {
      const made = await findVersionOfWriter(context, name, current.value.writer, signal);
      if (made !== undefined) {
        await settleDigestClaim(context, name, hex, current.etag, current.value, made);
        return { won: false, version: made };
      }
      context.logger.warn(
        { artifact: name, digest: hex, claimedAt: current.value.claimedAt },
        'taking over a digest claim whose logger stopped before creating its version',
      );
      const taken = await put({ ifMatch: current.etag });
      if (taken !== undefined) return taken;
      continue;
    }
    try {
      await context.clock.sleep(Math.max(10, contentionDelay(context, attempt)), signal);
    } catch {
      throw aborted(name, signal);
    }
  }
}

/**
 * Records in the claim which version holds the content. Losing this race (the claim was taken
 * over meanwhile) is logged, not thrown: the version exists either way.
 */
export async function settleDigestClaim(
  context: ArtifactContext,
  name: string,
  hex: string,
  etag: string,
  claim: ArtifactDigestClaim,
  version: number,
): Promise<void> {
  try {
    await context.storage.put(
      artifactKeys(name).digest(hex),
      serialiseRecord({ ...claim, version } satisfies ArtifactDigestClaim),
      { ifMatch: etag, contentType: 'application/json' },
    );
  } catch (error) {
    if (!isCairnError(error, 'PRECONDITION_FAILED')) throw error;
    context.logger.warn(
      { artifact: name, digest: hex, version },
      'a digest claim changed before it could be settled; logging this content again may make another version',
    );
  }
}

/**
 * Gives up a claim whose logger failed to create its version: settles it when the version was
 * created after all (a put whose answer was lost), deletes it otherwise, so the next logger of
 * the content does not wait out the claim timeout. Never throws: the caller is already failing,
 * and an unreleased claim is taken over later anyway.
 */
export async function releaseDigestClaim(
  context: ArtifactContext,
  name: string,
  hex: string,
  etag: string,
  claim: ArtifactDigestClaim,
): Promise<void> {
  try {
    const made = await findVersionOfWriter(context, name, claim.writer, undefined);
    if (made !== undefined) {
      await settleDigestClaim(context, name, hex, etag, claim, made);
      return;
    }
    const current = await readJsonRecord(
      context.storage,
      artifactKeys(name).digest(hex),
      artifactDigestClaimSchema,
    );
    // Only our own unsettled claim is removed; one taken over since belongs to another logger.
    if (current?.etag === etag) await context.storage.delete(artifactKeys(name).digest(hex));
  } catch (error) {
    context.logger.warn(
      {
        artifact: name,
        digest: hex,
        error: error instanceof Error ? error.message : String(error),
      },
      'could not release a digest claim after a failed log; the next logger of this content waits for its timeout',
    );
  }
}

/** The version whose record carries `writer`, newest first, or undefined. */
async function findVersionOfWriter(
  context: ArtifactContext,
  name: string,
  writer: string,
  signal: AbortSignal | undefined,
): Promise<number | undefined> {
  const numbers = await versionNumbers(context, name, signal);
  for (let index = numbers.length - 1; index >= 0; index -= 1) {
    const record = await readVersionRecord(context, name, numbers[index] as number, signal);
    if (record?.writer === writer) return record.version;
  }
  return undefined;
}

function aborted(name: string, signal: AbortSignal | undefined): CairnError {
  return new CairnError({
    code: 'ABORTED',
    backend: 'artifacts',
    message: `Logging artifact "${name}" was cancelled; no version was created.`,
    cause: signal?.reason,
  });
}
