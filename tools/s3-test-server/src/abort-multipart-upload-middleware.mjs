// AbortMultipartUpload (`DELETE /bucket/key?uploadId=…`), which s3rver answers with 405
// MethodNotAllowed. This imitates S3 because s3rver lacks it: 204 No Content once the upload
// and its parts are gone, 404 NoSuchUpload for an upload id that is unknown, already completed
// or aborted, or started for another key, and 404 NoSuchBucket for a missing bucket.
import S3Error from 's3rver/lib/models/error.js';
import { objectPathOf } from './object-path.mjs';

/**
 * Creates the Koa middleware; it answers only AbortMultipartUpload requests (path-style) and
 * passes every other request on. Errors are thrown as s3rver's S3Error, which s3rver's error
 * handler renders as S3's XML.
 *
 * @returns {(ctx: import('koa').Context, next: () => Promise<unknown>) => Promise<unknown>}
 */
export function createAbortMultipartUploadMiddleware() {
  return async function abortMultipartUpload(ctx, next) {
    if (ctx.method !== 'DELETE' || !('uploadId' in ctx.query)) return next();
    const object = objectPathOf(ctx.path);
    if (object === undefined) return next();
    const { bucket, key } = object;
    const store = ctx.app.store;
    if ((await store.getBucket(bucket)) === null) {
      throw new S3Error('NoSuchBucket', 'The specified bucket does not exist', {
        BucketName: bucket,
      });
    }
    await store.abortUpload(bucket, key, ctx.query.uploadId);
    ctx.status = 204;
    return undefined;
  };
}
