import { DeleteObjectCommand } from '@aws-sdk/client-s3';
import { abortedError, type DeleteOptions, isCairnError, validateKey } from '@cairn/kernel';
import { finalS3Error } from './final-s3-error.js';
import { type S3Context, s3KeyOf } from './s3-context.js';
import { s3StorageName } from './s3-storage-options.js';

/** Removes an object; a missing key is already gone, which S3 itself answers with success. */
export async function deleteObject(
  context: S3Context,
  key: string,
  options: DeleteOptions = {},
): Promise<void> {
  validateKey(key, { backend: s3StorageName, maxBytes: context.maxKeyBytes });
  const { signal } = options;
  if (signal?.aborted) {
    throw abortedError(s3StorageName, signal.reason, `Deleting "${key}"`, { details: { key } });
  }
  const s3Key = s3KeyOf(context, key);
  try {
    await context.client.send(
      new DeleteObjectCommand({ Bucket: context.options.bucket, Key: s3Key }),
      signal === undefined ? {} : { abortSignal: signal },
    );
  } catch (error) {
    const mapped = finalS3Error(error, {
      operation: 'DeleteObject',
      bucket: context.options.bucket,
      key: s3Key,
    });
    // Some S3-compatible stores answer 404 where S3 answers 204.
    if (!isCairnError(mapped, 'NOT_FOUND')) throw mapped;
  }
}
