// This middleware imitates S3's documented conditional writes ("Conditional writes" in the
// S3 user guide: PutObject and CompleteMultipartUpload with `If-None-Match: *` or
// `If-Match: <etag>`) because s3rver 3.7.1 ignores both headers and would let every
// conditional write through. It runs before all of s3rver's own middleware and, like S3,
// makes the check and the write one atomic step per key.
import { randomBytes } from 'node:crypto';
import { finished } from 'node:stream';
import { createKeyMutex } from './key-mutex.mjs';
import { objectPathOf } from './object-path.mjs';

/** Sub-resource query parameters whose PUT does not replace the object's bytes. */
const nonWritingPutQueries = [
  'partNumber',
  'uploadId',
  'tagging',
  'acl',
  'retention',
  'legal-hold',
];

/**
 * Creates the Koa middleware. Every request that replaces or removes an object's bytes
 * (PutObject, CopyObject's destination, CompleteMultipartUpload, DeleteObject) holds a per-key
 * lock from before the precondition check until its response has finished, so two racing
 * `If-None-Match: *` creates can never both succeed, and no unconditional write can slip
 * between another request's check and its write.
 *
 * @returns {(context: import('koa').Context, next: () => Promise<unknown>) => Promise<unknown>}
 */
export function createConditionalWritesMiddleware() {
  const locks = createKeyMutex();

  return async function conditionalWrites(context, next) {
    const write = objectWriteOf(context);
    if (write === undefined) return next();

    const release = await locks.acquire(`${write.bucket}/${write.key}`);
    // The lock outlives this function: the write is only over once the response is.
    finished(context.res, release);

    if (write.checksPreconditions) {
      const failure = await preconditionFailure(context, write);
      if (failure !== undefined) {
        answerWithError(context, failure);
        return undefined;
      }
    }
    return next();
  };
}

/**
 * Which object a request writes, or undefined when it writes none. Paths are path-style
 * (`/bucket/key`); the key is decoded the way s3rver's router decodes it.
 */
function objectWriteOf(context) {
  const object = objectPathOf(context.path);
  if (object === undefined) return undefined;
  const { bucket, key } = object;
  const query = context.query;
  const isCopy = context.get('x-amz-copy-source') !== '';
  if (context.method === 'PUT' && !nonWritingPutQueries.some((name) => name in query)) {
    return { bucket, key, checksPreconditions: !isCopy };
  }
  if (context.method === 'POST' && 'uploadId' in query) {
    return { bucket, key, checksPreconditions: true };
  }
  if (context.method === 'DELETE' && Object.keys(query).length === 0) {
    return { bucket, key, checksPreconditions: false };
  }
  return undefined;
}

/** The S3 error a write's preconditions call for, or undefined when it may proceed. */
async function preconditionFailure(context, write) {
  const ifMatch = context.get('if-match');
  const ifNoneMatch = context.get('if-none-match');
  if (ifMatch === '' && ifNoneMatch === '') return undefined;

  const store = context.app.store;
  // A missing bucket is s3rver's to report (NoSuchBucket), not a precondition failure.
  if ((await store.getBucket(write.bucket)) === null) return undefined;
  const currentEtag = await currentEtagOf(store, write.bucket, write.key);

  if (ifMatch !== '') {
    if (currentEtag === undefined) {
      // S3 answers If-Match on a missing key with 404, not 412.
      return {
        status: 404,
        code: 'NoSuchKey',
        message: 'The specified key does not exist.',
        extra: { Key: write.key },
      };
    }
    const accepted = ifMatch.split(',').map(normaliseEtag);
    if (!accepted.includes('*') && !accepted.includes(currentEtag)) {
      return preconditionFailed('If-Match');
    }
  }
  if (ifNoneMatch !== '') {
    if (ifNoneMatch.trim() !== '*') {
      return {
        status: 501,
        code: 'NotImplemented',
        message: 'A header you provided implies functionality that is not implemented',
        extra: { Header: 'If-None-Match' },
      };
    }
    if (currentEtag !== undefined) return preconditionFailed('If-None-Match');
  }
  return undefined;
}

function preconditionFailed(condition) {
  return {
    status: 412,
    code: 'PreconditionFailed',
    message: 'At least one of the pre-conditions you specified did not hold',
    extra: { Condition: condition },
  };
}

/** The object's current ETag without quotes, or undefined when there is no object. */
async function currentEtagOf(store, bucket, key) {
  try {
    const metadata = await store.getMetadata(bucket, key);
    return normaliseEtag(String(metadata.etag));
  } catch (error) {
    if (error?.code === 'ENOENT') return undefined;
    throw error;
  }
}

/** S3 compares ETags without their quotes (and a weak `W/` prefix means nothing to it). */
function normaliseEtag(etag) {
  return etag
    .trim()
    .replace(/^W\//, '')
    .replace(/^"(.*)"$/, '$1');
}

function answerWithError(context, failure) {
  const requestId = randomBytes(8).toString('hex').toUpperCase();
  const fields = { Code: failure.code, Message: failure.message, ...failure.extra };
  const inner = Object.entries(fields)
    .map(([name, value]) => `<${name}>${escapeXml(String(value))}</${name}>`)
    .join('');
  context.status = failure.status;
  context.set('x-amz-request-id', requestId);
  context.type = 'application/xml';
  context.body = `<?xml version="1.0" encoding="UTF-8"?>\n<Error>${inner}<RequestId>${requestId}</RequestId></Error>`;
}

function escapeXml(text) {
  return text
    .replaceAll('&', '&amp;')
    .replaceAll('<', '&lt;')
    .replaceAll('>', '&gt;')
    .replaceAll('"', '&quot;')
    .replaceAll("'", '&apos;');
}
