import { Readable } from 'node:stream';
import {
  GetObjectCommand,
  type GetObjectCommandOutput,
  HeadObjectCommand,
} from '@aws-sdk/client-s3';
import {
  abortedError,
  CairnError,
  type GetOptions,
  type GetResult,
  isCairnError,
  type ObjectInfo,
  validateGetRange,
  validateKey,
} from '@cairn/kernel';
import { finalS3Error } from './final-s3-error.js';
import { mapS3Error, type S3RequestContext } from './map-s3-error.js';
import {
  contentDigestMetadataKey,
  ownMetadataKeys,
  type S3Context,
  s3KeyOf,
} from './s3-context.js';
import { s3StorageName } from './s3-storage-options.js';

/** The response fields that describe an object, shared by HEAD and GET. */
interface ObjectFacts {
  readonly ContentLength?: number | undefined;
  readonly ETag?: string | undefined;
  readonly LastModified?: Date | undefined;
  readonly ContentType?: string | undefined;
  readonly Metadata?: Record<string, string> | undefined;
}

const hexDigest = /^[0-9a-f]{64}$/;

/** Object facts from a HEAD or GET answer; `size` is the whole object's. */
export function describeObject(key: string, facts: ObjectFacts, size: number): ObjectInfo {
  const metadata: Record<string, string> = {};
  for (const [name, value] of Object.entries(facts.Metadata ?? {})) {
    if (!ownMetadataKeys.has(name)) metadata[name] = value;
  }
  const sha256 = facts.Metadata?.[contentDigestMetadataKey];
  return {
    key,
    size,
    etag: facts.ETag ?? '',
    lastModified: facts.LastModified ?? new Date(0),
    ...(sha256 !== undefined && hexDigest.test(sha256) ? { sha256 } : {}),
    ...(facts.ContentType === undefined ? {} : { contentType: facts.ContentType }),
    metadata,
  };
}

/** Facts about an object, or undefined when it does not exist. */
export async function headObject(context: S3Context, key: string): Promise<ObjectInfo | undefined> {
  validateKey(key, { backend: s3StorageName, maxBytes: context.maxKeyBytes });
  const s3Key = s3KeyOf(context, key);
  try {
    const output = await context.client.send(
      new HeadObjectCommand({ Bucket: context.options.bucket, Key: s3Key }),
    );
    return describeObject(key, output, output.ContentLength ?? 0);
  } catch (error) {
    const mapped = finalS3Error(error, {
      operation: 'HeadObject',
      bucket: context.options.bucket,
      key: s3Key,
    });
    if (isCairnError(mapped, 'NOT_FOUND')) return undefined;
    throw mapped;
  }
}

// "bytes 0-9/1000": the object's full size is after the slash.
function totalSizeOf(output: GetObjectCommandOutput): number {
  const match = /\/(\d+)\s*$/.exec(output.ContentRange ?? '');
  return match ? Number(match[1]) : (output.ContentLength ?? 0);
}

interface RangedRequest {
  readonly range?: { readonly start: number; readonly end: number | undefined };
  readonly ifMatch?: string;
  readonly signal: AbortSignal | undefined;
}

async function sendGet(context: S3Context, s3Key: string, request: RangedRequest) {
  const { range } = request;
  const output = await context.client.send(
    new GetObjectCommand({
      Bucket: context.options.bucket,
      Key: s3Key,
      ...(range === undefined ? {} : { Range: `bytes=${range.start}-${range.end ?? ''}` }),
      ...(request.ifMatch === undefined ? {} : { IfMatch: request.ifMatch }),
    }),
    request.signal === undefined ? {} : { abortSignal: request.signal },
  );
  // A store (or a proxy) that ignores Range answers with the whole object: spliced into a
  // resumed read, or taken for the range asked, those bytes would be wrong.
  if (range !== undefined && rangeStartOf(output) !== range.start) {
    (output.Body as Readable | undefined)?.destroy();
    throw new CairnError({
      code: 'PERMANENT_IO',
      backend: s3StorageName,
      message: `The store answered a read of "${s3Key}" from byte ${range.start} with ${output.ContentRange === undefined ? 'the whole object' : `the range "${output.ContentRange}"`}: it does not honour Range requests. Ranged reads (and resuming an interrupted read) need a store that does.`,
      details: { key: s3Key, start: range.start },
    });
  }
  return output;
}

function rangeStartOf(output: GetObjectCommandOutput): number | undefined {
  const match = /^bytes (\d+)-/.exec(output.ContentRange ?? '');
  return match ? Number(match[1]) : undefined;
}

/** Where a read is, shared by the body stream and the generator that fills it. */
interface ReadState {
  source: Readable;
  received: number;
  closed: boolean;
}

/**
 * The body of a read that survives a dropped connection: when the stream from S3 fails with a
 * transient error part-way, the rest is asked for again from the byte reached, pinned to the
 * same version with `If-Match` (and the ETag checked again) so two versions are never spliced.
 * Each resume goes through the retry loop; a read that keeps failing without progress stops
 * after the policy's attempts. A body its reader destroys stops at once and asks for nothing
 * more.
 */
function resumingBody(
  context: S3Context,
  request: S3RequestContext,
  first: Readable,
  from: { start: number; length: number; etag: string },
  signal: AbortSignal | undefined,
): Readable {
  const state: ReadState = { source: first, received: 0, closed: false };
  const body = Readable.from(readAndResume(context, request, state, from, signal), {
    objectMode: false,
  });
  // A read waiting for bytes must stop when the caller aborts or drops the body, not when S3
  // next sends some (or a silent socket times out and a resume is tried for nobody).
  const stop = (reason?: unknown) => {
    state.closed = true;
    state.source.destroy(reason instanceof Error ? reason : undefined);
  };
  const onAbort = () => stop(signal?.reason);
  signal?.addEventListener('abort', onAbort, { once: true });
  body.once('close', () => {
    signal?.removeEventListener('abort', onAbort);
    stop();
  });
  return body;
}

async function* readAndResume(
  context: S3Context,
  request: S3RequestContext,
  state: ReadState,
  from: { start: number; length: number; etag: string },
  signal: AbortSignal | undefined,
): AsyncGenerator<Buffer> {
  let failuresWithoutProgress = 0;
  while (true) {
    try {
      for await (const chunk of state.source) {
        state.received += (chunk as Buffer).length;
        failuresWithoutProgress = 0;
        yield chunk as Buffer;
      }
      if (state.received >= from.length) return;
      throw new CairnError({
        code: 'TRANSIENT_IO',
        backend: s3StorageName,
        message: `The read of "${request.key}" ended after ${state.received} of ${from.length} bytes.`,
      });
    } catch (error) {
      state.source.destroy();
      if (signal?.aborted) {
        throw abortedError(s3StorageName, signal.reason, `Reading "${request.key}"`, {
          details: { key: request.key },
        });
      }
      if (state.closed) return;
      const mapped = mapS3Error(error, request);
      failuresWithoutProgress += 1;
      if (!mapped.retryable || failuresWithoutProgress >= context.policy.maxAttempts) throw mapped;
      state.source = await resume(context, request, state.received, from, signal);
    }
  }
}

async function resume(
  context: S3Context,
  request: S3RequestContext,
  received: number,
  from: { start: number; length: number; etag: string },
  signal: AbortSignal | undefined,
): Promise<Readable> {
  const output = await sendGet(context, request.key as string, {
    range: { start: from.start + received, end: from.start + from.length - 1 },
    ifMatch: from.etag,
    signal,
  }).catch((reopenError: unknown) => {
    const final = finalS3Error(reopenError, request);
    if (!isCairnError(final, 'PRECONDITION_FAILED')) throw final;
    throw replacedWhileReading(request, received, final);
  });
  // If-Match pins the version on S3; a store that ignores it on GET is caught here.
  if (output.ETag !== from.etag) {
    (output.Body as Readable | undefined)?.destroy();
    throw replacedWhileReading(request, received, undefined);
  }
  return output.Body as Readable;
}

function replacedWhileReading(
  request: S3RequestContext,
  received: number,
  cause: unknown,
): CairnError {
  return new CairnError({
    code: 'CONFLICT',
    backend: s3StorageName,
    retryable: true,
    message: `The read of "${request.key}" was interrupted after ${received} bytes and, before it could continue, the object was replaced. Read it again to get the new version.`,
    cause,
    details: { key: request.key, received },
  });
}

/**
 * A range that starts at or past the end reads nothing, as on every other backend; S3 answers
 * it with 416, so the object's facts come from a HEAD.
 */
async function emptyRead(context: S3Context, key: string): Promise<GetResult> {
  const info = await headObject(context, key);
  if (info === undefined) {
    throw new CairnError({
      code: 'NOT_FOUND',
      backend: s3StorageName,
      message: `GetObject of s3://${context.options.bucket}/${s3KeyOf(context, key)}: no such object.`,
      details: { key },
    });
  }
  return { info, body: Readable.from([]) };
}

/** Opens an object (or a byte range of it) for reading. */
export async function getObject(
  context: S3Context,
  key: string,
  options: GetOptions = {},
): Promise<GetResult> {
  validateKey(key, { backend: s3StorageName, maxBytes: context.maxKeyBytes });
  const { signal, range } = options;
  validateGetRange(key, range, s3StorageName);
  if (signal?.aborted) {
    throw abortedError(s3StorageName, signal.reason, `Reading "${key}"`, { details: { key } });
  }
  const s3Key = s3KeyOf(context, key);
  const request = { operation: 'GetObject', bucket: context.options.bucket, key: s3Key };
  let output: GetObjectCommandOutput;
  try {
    output = await sendGet(context, s3Key, {
      ...(range === undefined ? {} : { range: { start: range.start, end: range.end } }),
      signal,
    });
  } catch (error) {
    const mapped = finalS3Error(error, request);
    if (range !== undefined && mapped.details.status === 416) return emptyRead(context, key);
    throw mapped;
  }
  const size = totalSizeOf(output);
  const info = describeObject(key, output, size);
  const body = resumingBody(
    context,
    request,
    (output.Body as Readable | undefined) ?? Readable.from([]),
    { start: range?.start ?? 0, length: output.ContentLength ?? size, etag: info.etag },
    signal,
  );
  return { info, body };
}
