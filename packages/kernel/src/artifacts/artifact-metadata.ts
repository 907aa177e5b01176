import { CairnError, isCairnError } from '../errors/cairn-error.js';
import { type ArtifactContext, contentionDelay, isoNow } from './artifact-context.js';
import { readJsonRecord, serialiseRecord } from './artifact-json.js';
import { artifactKeys } from './artifact-layout.js';
import { artifactAddedMetadataSchema } from './artifact-records.js';

const maxMetadataAttempts = 100;

/**
 * Adds metadata to a version: merged over what was added before (a key given again replaces
 * its value), by compare-and-swap so concurrent additions are all kept. The version's record
 * (and its content) never changes.
 */
export async function addArtifactMetadata(
  context: ArtifactContext,
  name: string,
  version: number,
  metadata: Readonly<Record<string, unknown>>,
  signal?: AbortSignal,
): Promise<Record<string, unknown>> {
  const key = artifactKeys(name).metadata(version);
  for (let attempt = 1; attempt <= maxMetadataAttempts; attempt += 1) {
    const current = await readJsonRecord(context.storage, key, artifactAddedMetadataSchema, signal);
    const merged = { ...(current?.value.metadata ?? {}), ...metadata };
    try {
      await context.storage.put(
        key,
        serialiseRecord({
          format: 'cairn.artifact-metadata/v1',
          metadata: merged,
          updatedAt: isoNow(context),
        }),
        {
          ...(current === undefined ? { ifNoneMatch: '*' as const } : { ifMatch: current.etag }),
          contentType: 'application/json',
          ...(signal === undefined ? {} : { signal }),
        },
      );
      return merged;
    } catch (error) {
      if (!isCairnError(error, 'PRECONDITION_FAILED') && !isCairnError(error, 'CONFLICT'))
        throw error;
      try {
        await context.clock.sleep(contentionDelay(context, attempt), signal);
      } catch {
        throw new CairnError({
          code: 'ABORTED',
          backend: 'artifacts',
          message: `Adding metadata to "${name}:v${version}" was cancelled; what was added before stays.`,
          cause: signal?.reason,
        });
      }
    }
  }
  throw new CairnError({
    code: 'RETRIES_EXHAUSTED',
    backend: 'artifacts',
    message: `Could not add metadata to "${name}:v${version}": other writers changed it ${maxMetadataAttempts} times in a row. Try again.`,
    details: { name, version, attempts: maxMetadataAttempts },
  });
}

/** Metadata added to a version after logging (empty when none). */
export async function readAddedMetadata(
  context: ArtifactContext,
  name: string,
  version: number,
  signal?: AbortSignal,
): Promise<Record<string, unknown>> {
  const record = await readJsonRecord(
    context.storage,
    artifactKeys(name).metadata(version),
    artifactAddedMetadataSchema,
    signal,
  );
  return record?.value.metadata ?? {};
}
