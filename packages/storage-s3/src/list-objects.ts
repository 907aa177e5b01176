import { ListObjectsV2Command } from '@aws-sdk/client-s3';
import {
  type ListPage,
  type ListPageOptions,
  validateListOptions,
  validatePrefix,
} from '@cairn/kernel';
import { finalS3Error } from './final-s3-error.js';
import { type S3Context, storageKeyOf } from './s3-context.js';
import { s3StorageName } from './s3-storage-options.js';

/** S3 answers at most this many keys per request whatever is asked. */
const s3MaximumPageSize = 1000;

/**
 * One page of ListObjectsV2 under the storage's prefix. The cursor is S3's continuation token;
 * keys come back in UTF-8 byte order, which is the contract's order.
 */
export async function listObjectsPage(
  context: S3Context,
  options: ListPageOptions = {},
): Promise<ListPage> {
  // The storage's own prefix takes its share of S3's 1024-byte keys.
  validatePrefix(options.prefix ?? '', { backend: s3StorageName, maxBytes: context.maxKeyBytes });
  const { prefix, pageSize } = validateListOptions(options, s3StorageName);
  const root = context.options.prefix;
  const signal = options.signal;
  try {
    const output = await context.client.send(
      new ListObjectsV2Command({
        Bucket: context.options.bucket,
        Prefix: `${root}${prefix}`,
        MaxKeys: Math.min(pageSize, s3MaximumPageSize),
        ...(options.startAfter === undefined ? {} : { StartAfter: `${root}${options.startAfter}` }),
        ...(options.cursor === undefined ? {} : { ContinuationToken: options.cursor }),
        ...(options.delimiter === undefined ? {} : { Delimiter: options.delimiter }),
      }),
      signal === undefined ? {} : { abortSignal: signal },
    );
    return {
      objects: (output.Contents ?? []).map((entry) => ({
        key: storageKeyOf(context, entry.Key ?? ''),
        size: entry.Size ?? 0,
        etag: entry.ETag ?? '',
        lastModified: entry.LastModified ?? new Date(0),
      })),
      prefixes: (output.CommonPrefixes ?? []).map((entry) =>
        storageKeyOf(context, entry.Prefix ?? ''),
      ),
      ...(output.IsTruncated && output.NextContinuationToken !== undefined
        ? { cursor: output.NextContinuationToken }
        : {}),
    };
  } catch (error) {
    throw finalS3Error(error, {
      operation: 'ListObjectsV2',
      bucket: context.options.bucket,
      key: `${root}${prefix}`,
    });
  }
}
