// GetObject and HeadObject, replacing s3rver's controller because it deviates from S3: it
// ignores `If-Match` and `If-Unmodified-Since` (so a read resumed with If-Match after an
// overwrite would splice two versions instead of failing with 412), and on a 304 it never
// closes the file it opened. This imitates S3's precedence of the conditional headers, judged
// against the same version whose bytes would be sent, and checks them before the range (a
// range past the end is 416 InvalidRange).
import S3Error from 's3rver/lib/models/error.js';
import { capitalizeHeader } from 's3rver/lib/utils.js';

/**
 * The Koa handler for `GET` and `HEAD /:bucket/:key` without a sub-resource; it runs where
 * s3rver's own did, after authentication and the bucket-exists check.
 *
 * @param {import('koa').Context} ctx
 */
export async function getObject(ctx) {
  const key = ctx.params.key;
  const object = await ctx.store.getObject(ctx.params.bucket, key, rangeOptionsOf(ctx));
  if (!object) {
    throw new S3Error('NoSuchKey', 'The specified key does not exist.', { Key: key });
  }
  try {
    const outcome = preconditionOutcome(ctx, object);
    if (outcome === 'precondition-failed') {
      throw new S3Error(
        'PreconditionFailed',
        'At least one of the pre-conditions you specified did not hold',
        { Condition: ctx.get('if-match') !== '' ? 'If-Match' : 'If-Unmodified-Since' },
      );
    }
    if (outcome === 'not-modified') {
      ctx.status = 304;
      ctx.set('ETag', object.metadata.etag);
      ctx.set('Last-Modified', object.metadata['last-modified']);
      object.content?.destroy();
      return;
    }
    if (object.range && !object.content) {
      throw new S3Error('InvalidRange', 'The requested range is not satisfiable', {
        RangeRequested: ctx.get('range'),
        ActualObjectSize: object.size,
      });
    }
  } catch (error) {
    object.content?.destroy();
    throw error;
  }

  ctx.set('Accept-Ranges', 'bytes');
  for (const [name, value] of Object.entries(object.metadata)) {
    ctx.set(capitalizeHeader(name), value);
  }
  if (object.range) {
    ctx.set('Content-Range', `bytes ${object.range.start}-${object.range.end}/${object.size}`);
    ctx.length = object.range.end + 1 - object.range.start;
    ctx.status = 206;
  } else {
    ctx.length = object.size;
    ctx.status = 200;
  }
  if (ctx.method === 'HEAD') object.content.destroy();
  else ctx.body = object.content;
}

/** s3rver's parse of `Range: bytes=start-end`, which the store's getObject expects. */
function rangeOptionsOf(ctx) {
  const range = ctx.get('range');
  if (!/^bytes=/.test(range)) return {};
  const [start, end] = range.slice('bytes='.length).split('-');
  return { start: Number(start), ...(end ? { end: Number(end) } : {}) };
}

/**
 * S3's evaluation of the conditional headers (RFC 9110 §13.2.2): If-Match, else
 * If-Unmodified-Since, may fail the request with 412; then If-None-Match, else
 * If-Modified-Since, may answer 304.
 *
 * @returns {'proceed' | 'precondition-failed' | 'not-modified'}
 */
function preconditionOutcome(ctx, object) {
  const etag = unquoted(object.metadata.etag);
  // Last-Modified is sent to the second, so dates are compared to the second.
  const lastModified = Math.floor(object.lastModifiedDate.getTime() / 1000) * 1000;
  const ifMatch = ctx.get('if-match');
  const ifUnmodifiedSince = Date.parse(ctx.get('if-unmodified-since'));
  const ifNoneMatch = ctx.get('if-none-match');
  const ifModifiedSince = Date.parse(ctx.get('if-modified-since'));

  if (ifMatch !== '') {
    if (!matchesAny(ifMatch, etag)) return 'precondition-failed';
  } else if (!Number.isNaN(ifUnmodifiedSince) && lastModified > ifUnmodifiedSince) {
    return 'precondition-failed';
  }
  if (ifNoneMatch !== '') {
    if (matchesAny(ifNoneMatch, etag)) return 'not-modified';
  } else if (!Number.isNaN(ifModifiedSince) && lastModified <= ifModifiedSince) {
    return 'not-modified';
  }
  return 'proceed';
}

function matchesAny(header, etag) {
  return header
    .split(',')
    .map(unquoted)
    .some((candidate) => candidate === '*' || candidate === etag);
}

/** S3 compares ETags without quotes or a weak `W/` prefix. */
function unquoted(etag) {
  return String(etag)
    .trim()
    .replace(/^W\//, '')
    .replace(/^"(.*)"$/, '$1');
}
