export { mapS3Error } from './map-s3-error.js';
export { plugin } from './plugin.js';
export { createS3Storage, type S3Storage, type S3StorageHooks } from './s3-storage.js';
export {
  maximumPartSizeBytes,
  minimumPartSizeBytes,
  parseS3StorageOptions,
  type ResolvedS3StorageOptions,
  type S3StorageOptions,
  s3StorageName,
  s3StorageOptionsSchema,
} from './s3-storage-options.js';
