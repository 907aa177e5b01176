// What the single-request and multipart ways of writing an object share: the prepared put,
// what its outcome means, and how a put whose answer was lost finds its own object.
import { HeadObjectCommand } from '@aws-sdk/client-s3';
import { CairnError, isCairnError, type ObjectInfo, type PutOptions } from '@cairn/kernel';
import type { S3RequestContext } from './map-s3-error.js';
import { type S3Context, writeTokenMetadataKey } from './s3-context.js';
import { s3StorageName } from './s3-storage-options.js';

/** The S3 condition headers of a put. */
export interface Conditions {
  readonly IfNoneMatch?: string;
  readonly IfMatch?: string;
}

/** What both ways of writing share. */
export interface PreparedPut {
  readonly key: string;
  readonly s3Key: string;
  readonly options: PutOptions;
  readonly conditions: Conditions;
  readonly metadata: Record<string, string>;
  readonly request: S3RequestContext;
}

/**
 * Whether the object now at the put's key is the one this put wrote: every put carries a
 * random token in its metadata, and only this put knows it.
 */
async function ownEarlierWrite(
  context: S3Context,
  prepared: PreparedPut,
): Promise<{ ETag?: string | undefined; LastModified?: Date | undefined } | undefined> {
  const token = prepared.metadata[writeTokenMetadataKey];
  if (token === undefined) return undefined;
  try {
    const current = await context.client.send(
      new HeadObjectCommand({ Bucket: context.options.bucket, Key: prepared.s3Key }),
    );
    return current.Metadata?.[writeTokenMetadataKey] === token ? current : undefined;
  } catch {
    // Unknown either way: report the conflict the write itself got.
    return undefined;
  }
}

/**
 * S3 answers `If-Match` on a missing key with 404; the contract calls that a failed
 * precondition (there is nothing to replace).
 */
export function conditionOutcome(prepared: PreparedPut, error: CairnError): CairnError {
  if (prepared.conditions.IfMatch === undefined || !isCairnError(error, 'NOT_FOUND')) return error;
  return new CairnError({
    code: 'PRECONDITION_FAILED',
    backend: s3StorageName,
    message: `Put of "${prepared.key}" did not hold its condition: the object to replace (If-Match) does not exist.`,
    cause: error,
    details: { key: prepared.key },
  });
}

/** The error of a put whose body stream failed: the caller's, not the store's. */
export function bodyFailed(key: string, error: unknown): CairnError {
  if (isCairnError(error)) return error;
  return new CairnError({
    code: 'PERMANENT_IO',
    backend: s3StorageName,
    message: `Writing "${key}" failed: the body stream failed (${error instanceof Error ? error.message : String(error)}); nothing was stored.`,
    cause: error,
    details: { key },
  });
}

/**
 * Whether a put that failed with `error` in fact stored its object: a request whose answer was
 * lost (after the store committed it) and was then retried meets its own object as "taken"
 * (412), or its own completed upload as gone (NoSuchUpload), or runs out of retries, or is
 * aborted while in flight. The put's token tells; the object is then returned, as the work is
 * done.
 */
export async function ownWriteDespite(
  context: S3Context,
  prepared: PreparedPut,
  error: CairnError,
): Promise<{ ETag?: string | undefined } | undefined> {
  const mayHaveLanded =
    ['PRECONDITION_FAILED', 'TRANSIENT_IO', 'ABORTED'].includes(error.code) ||
    error.details.s3Code === 'NoSuchUpload';
  return mayHaveLanded ? ownEarlierWrite(context, prepared) : undefined;
}

/** What a put returns for the object it stored. */
export function describeWritten(
  key: string,
  size: number,
  etag: string | undefined,
  sha256: string | undefined,
  options: PutOptions,
): ObjectInfo {
  if (etag === undefined) {
    throw new CairnError({
      code: 'PERMANENT_IO',
      backend: s3StorageName,
      message: `The store accepted "${key}" but returned no ETag. An S3-compatible store must return one; behind a proxy or CORS setup, expose the ETag header.`,
      details: { key },
    });
  }
  return {
    key,
    size,
    etag,
    // The store's own time is not in a put's answer; the client's clock is close enough for
    // display, and a head reports the store's.
    lastModified: new Date(),
    ...(sha256 === undefined ? {} : { sha256 }),
    ...(options.contentType === undefined ? {} : { contentType: options.contentType }),
  };
}
