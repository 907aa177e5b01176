import { definePlugin } from '@cairn/kernel';
import { createS3Storage } from './s3-storage.js';
import { s3StorageName, s3StorageOptionsSchema } from './s3-storage-options.js';

/**
 * The manifest the config loader uses for `storage: { use: s3, options: { bucket: … } }`
 * (also as `backup:`, e.g. a local disk mirrored to S3).
 */
export const plugin = definePlugin({
  kind: 'storage',
  name: s3StorageName,
  optionsSchema: s3StorageOptionsSchema,
  create: (options, context) => createS3Storage(options, { logger: context.logger }),
});
