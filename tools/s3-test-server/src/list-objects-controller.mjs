// ListObjects (V1) and ListObjectsV2, replacing s3rver's controller because it deviates from
// S3: its NextContinuationToken and NextMarker name the last key even when the page ended with
// a common prefix (so the next page repeated that prefix, or failed when the page held no key),
// its KeyCount left the common prefixes out, and its tokens needed a DES cipher. Like S3, a
// continuation token resumes after the last entry of its page, key or common prefix, and
// StartAfter is ignored when a token is given. The page itself comes from the store's
// listObjects (see s3-like-store.mjs).
import AwsAccount from 's3rver/lib/models/account.js';
import S3Error from 's3rver/lib/models/error.js';

const { DUMMY_ACCOUNT } = AwsAccount;

/** S3 never returns more than this many entries in one page. */
const pageLimit = 1000;

/**
 * The Koa handler for `GET /:bucket` without a sub-resource. It runs where s3rver's own did,
 * after authentication and the bucket-exists check, and leaves a plain object in `ctx.body`
 * for s3rver to render as XML.
 *
 * @param {import('koa').Context} ctx
 */
export async function listObjects(ctx) {
  const bucket = ctx.params.bucket;
  const isV2 = ctx.query['list-type'] === '2';
  const maxKeys = maxKeysOf(ctx.query['max-keys']);
  const prefix = ctx.query.prefix ?? '';
  const delimiter = ctx.query.delimiter ?? '';
  const token = isV2 ? ctx.query['continuation-token'] : undefined;

  if (isV2 && 'marker' in ctx.query) {
    throw invalidArgument('marker', 'Marker unsupported with REST.GET.BUCKET in list-type=2');
  }
  if (!isV2 && 'continuation-token' in ctx.query) {
    throw invalidArgument(
      'continuation-token',
      'continuation-token only supported in REST.GET.BUCKET with list-type=2',
    );
  }
  if (!isV2 && 'start-after' in ctx.query) {
    throw invalidArgument(
      'start-after',
      'startAfter only supported in REST.GET.BUCKET with list-type=2',
    );
  }

  let after;
  if (!isV2) after = ctx.query.marker ?? '';
  else if (token !== undefined) after = decodeToken(token, bucket);
  else after = ctx.query['start-after'] ?? '';

  const page =
    maxKeys === 0
      ? { objects: [], commonPrefixes: [], isTruncated: false, lastEntry: undefined }
      : await ctx.store.listObjects(bucket, {
          prefix,
          delimiter,
          startAfter: after,
          maxKeys: Math.min(maxKeys, pageLimit),
        });
  const fetchOwner = isV2 ? ctx.query['fetch-owner'] === 'true' : true;

  ctx.body = {
    ListBucketResult: {
      '@': { xmlns: 'http://s3.amazonaws.com/doc/2006-03-01/' },
      Name: bucket,
      Prefix: prefix,
      ...(isV2
        ? {
            // Echoed whenever it was sent, though a continuation token overrides it.
            StartAfter: ctx.query['start-after'],
            ContinuationToken: token,
            NextContinuationToken: page.isTruncated
              ? encodeToken(bucket, page.lastEntry)
              : undefined,
            KeyCount: page.objects.length + page.commonPrefixes.length,
          }
        : {
            Marker: after,
            // S3 sends NextMarker only with a delimiter; without one the last key is the marker.
            NextMarker: delimiter !== '' && page.isTruncated ? page.lastEntry : undefined,
          }),
      MaxKeys: maxKeys,
      Delimiter: delimiter === '' ? undefined : delimiter,
      IsTruncated: page.isTruncated,
      Contents: page.objects.map((object) => ({
        Key: object.key,
        LastModified: object.lastModifiedDate.toISOString(),
        ETag: object.metadata.etag,
        Size: object.size,
        Owner: fetchOwner
          ? { ID: DUMMY_ACCOUNT.id, DisplayName: DUMMY_ACCOUNT.displayName }
          : undefined,
        StorageClass: 'STANDARD',
      })),
      CommonPrefixes: page.commonPrefixes.map((commonPrefix) => ({ Prefix: commonPrefix })),
    },
  };
}

function maxKeysOf(text) {
  if (text === undefined || text === '') return pageLimit;
  if (!/^-?\d+$/.test(text)) {
    throw invalidArgument(
      'max-keys',
      'Provided max-keys not an integer or within integer range',
      text,
    );
  }
  const value = Number(text);
  if (value < 0 || value > 2147483647) {
    throw invalidArgument(
      'maxKeys',
      'Argument maxKeys must be an integer between 0 and 2147483647',
      text,
    );
  }
  return value;
}

/** An opaque token naming the bucket and the entry to resume after. */
function encodeToken(bucket, lastEntry) {
  return Buffer.from(JSON.stringify({ bucket, after: lastEntry }), 'utf8').toString('base64url');
}

function decodeToken(token, bucket) {
  let decoded;
  try {
    decoded = JSON.parse(Buffer.from(token, 'base64url').toString('utf8'));
  } catch {
    decoded = undefined;
  }
  if (decoded?.bucket !== bucket || typeof decoded.after !== 'string') {
    throw invalidArgument('continuation-token', 'The continuation token provided is incorrect');
  }
  return decoded.after;
}

function invalidArgument(name, message, value) {
  return new S3Error('InvalidArgument', message, {
    ArgumentName: name,
    ...(value === undefined ? {} : { ArgumentValue: value }),
  });
}
