import { CairnError, isValidKey, retrySettingsSchema } from '@cairn/kernel';
import { z } from 'zod';

/** The name the S3 storage reports in errors and the config's `use: s3`. */
export const s3StorageName = 's3';

const mebibyte = 1024 * 1024;
/** S3's smallest part (all but the last) of a multipart upload. */
export const minimumPartSizeBytes = 5 * mebibyte;
/** S3's largest part. */
export const maximumPartSizeBytes = 5 * 1024 * mebibyte;

// S3's rules for general purpose buckets, which MinIO, R2 and Ceph share: 3–63 characters of
// lowercase letters, digits, dots and hyphens, starting and ending with a letter or digit.
const bucketName = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;

const checksumMode = z.enum(['WHEN_SUPPORTED', 'WHEN_REQUIRED']);

const milliseconds = (what: string) =>
  z
    .number()
    .int()
    .positive(`expected a positive number of milliseconds ${what}`)
    .max(24 * 60 * 60 * 1000, 'expected at most a day');

/**
 * The options of {@link createS3Storage}, as written in `cairn.config.yaml` under
 * `storage: { use: s3, options: … }`. Unknown fields are refused so a typo is not ignored.
 */
export const s3StorageOptionsSchema = z.strictObject({
  /** The bucket. It must exist: Cairn never creates buckets. */
  bucket: z
    .string()
    .regex(
      bucketName,
      'expected an S3 bucket name: 3 to 63 lowercase letters, digits, dots or hyphens, starting and ending with a letter or digit',
    ),
  /**
   * Where Cairn's keys start inside the bucket, e.g. `team/project/`; empty for the whole
   * bucket. Several projects can share a bucket under different prefixes.
   */
  prefix: z
    .string()
    .default('')
    .refine(
      (prefix) => prefix === '' || (prefix.endsWith('/') && isValidKey(prefix.slice(0, -1))),
      {
        message:
          'expected "" or a key prefix ending with "/" (like "team/project/"), without a leading "/", "//", "." or ".." segments',
      },
    ),
  /**
   * The region, e.g. `eu-west-1`. Default: `AWS_REGION`, then the SDK's (the profile's region
   * in the shared config); with an `endpoint` and no `region` or `AWS_REGION`, `us-east-1`.
   */
  region: z.string().min(1).optional(),
  /** The store's URL for S3-compatible stores (MinIO, R2, Ceph) or a VPC endpoint. */
  endpoint: z.url('expected a URL such as "https://minio.internal:9000"').optional(),
  /**
   * Address buckets as `endpoint/bucket/key` instead of `bucket.endpoint/key`. Most
   * self-hosted stores (MinIO, Ceph) need it.
   */
  forcePathStyle: z.boolean().default(false),
  /**
   * Static credentials. Default: the SDK's provider chain (environment, shared files, SSO,
   * instance and container roles), which is what you want outside tests. Never logged.
   */
  credentials: z
    .strictObject({
      accessKeyId: z.string().min(1),
      secretAccessKey: z.string().min(1),
      sessionToken: z.string().min(1).optional(),
    })
    .optional(),
  /**
   * When the SDK adds CRC checksums to uploads (`WHEN_SUPPORTED`, the SDK's default) or only
   * where an operation requires one (`WHEN_REQUIRED`). Many S3-compatible stores (older MinIO
   * and Ceph, s3rver) mishandle the checksum trailers and need `WHEN_REQUIRED`.
   */
  requestChecksumCalculation: checksumMode.default('WHEN_SUPPORTED'),
  /** Whether the SDK validates response checksums always it can, or only when required. */
  responseChecksumValidation: checksumMode.default('WHEN_SUPPORTED'),
  /**
   * Size of each part of a multipart upload (default 8 MiB, at least 5 MiB). Objects up to
   * this size go up in one request; memory per upload is about
   * `partSizeBytes × (concurrency + 2)`. S3 takes at most 10,000 parts, so the largest object
   * is `partSizeBytes × 10,000`: about 78 GiB at 8 MiB; 64 MiB parts allow 625 GiB.
   */
  partSizeBytes: z
    .number()
    .int()
    .min(minimumPartSizeBytes, 'expected at least 5 MiB (5242880), S3’s smallest part')
    .max(maximumPartSizeBytes, 'expected at most 5 GiB, S3’s largest part')
    .default(8 * mebibyte),
  /** Parts of one upload in flight at once (default 4). */
  concurrency: z.number().int().min(1).max(64).default(4),
  /**
   * The kernel retry policy every request goes through (the SDK's own retries are off, so
   * there is one retry loop): throttling, 5xx, timeouts and resets are retried with backoff.
   * Default: 5 attempts from 200 ms, full jitter.
   */
  retry: retrySettingsSchema.optional(),
  /**
   * Whether the store honours `If-None-Match: *` and `If-Match` on writes (AWS S3, current
   * MinIO and R2 do). Set `false` for one that does not: conditional puts then check with a
   * HEAD first (safe for one writer only), and the kernel refuses operations that need
   * several writers to agree (version allocation, aliases, shard commits).
   */
  conditionalWrites: z.boolean().default(true),
  /** How long to wait for a connection (default 10 s); a timeout is retried. */
  connectionTimeoutMs: milliseconds('to connect').default(10_000),
  /**
   * How long a connection may stay silent mid-request before it is dropped and the request
   * retried (default 60 s).
   */
  socketTimeoutMs: milliseconds('of socket silence').default(60_000),
  /** Most connections open to the store at once (default 50). */
  maxSockets: z.number().int().min(1).max(1024).default(50),
});

/** Options as a caller writes them: only `bucket` is required. */
export type S3StorageOptions = z.input<typeof s3StorageOptionsSchema>;

/** Options after validation, with defaults filled in. */
export type ResolvedS3StorageOptions = z.output<typeof s3StorageOptionsSchema>;

/**
 * Validates options at the factory boundary. Values are never echoed (credentials may be
 * among them); only field names and rules are.
 *
 * @throws CairnError `INVALID_OPTIONS` naming every field that is wrong and what it expects.
 */
export function parseS3StorageOptions(options: unknown): ResolvedS3StorageOptions {
  const result = s3StorageOptionsSchema.safeParse(options);
  if (result.success) return result.data;
  const problems = result.error.issues.map((issue) => {
    if (issue.code === 'unrecognized_keys') {
      const where = issue.path.length === 0 ? '' : ` in "${issue.path.join('.')}"`;
      return `unknown option ${issue.keys.map((key) => `"${key}"`).join(', ')}${where}`;
    }
    const field = issue.path.length === 0 ? 'options' : issue.path.join('.');
    return `"${field}": ${issue.message}`;
  });
  throw new CairnError({
    code: 'INVALID_OPTIONS',
    backend: s3StorageName,
    message: `Invalid s3 storage options: ${problems.join('; ')}. Fix them in the call to createS3Storage or under "storage.options" in cairn.config.yaml (known options: ${Object.keys(s3StorageOptionsSchema.shape).join(', ')}).`,
    details: { problems },
  });
}
