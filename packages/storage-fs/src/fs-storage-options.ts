import { CairnError } from '@cairn/kernel';
import { z } from 'zod';

/** The name the fs storage reports in errors and the config's `use: fs`. */
export const fsStorageName = 'fs';

/**
 * The options of {@link createFsStorage}, as written in `cairn.config.yaml` under
 * `storage: { use: fs, options: … }`. Unknown fields are refused so a typo is not ignored.
 */
export const fsStorageOptionsSchema = z.strictObject({
  /**
   * The directory that holds the objects. Created when missing. Relative paths resolve from
   * the current directory (from the project directory when loaded from a config file).
   */
  root: z.string().min(1, 'expected a non-empty directory path'),
  /**
   * Flush every write to the disk before `put` or `delete` returns (default true). With
   * `false`, writes are several times faster, but after a power loss or an operating-system
   * crash (not a mere process crash) objects written in the last seconds may be missing, hold
   * older content or, on some file systems, be empty. Turn it off only for data you can
   * recompute.
   */
  fsync: z.boolean().default(true),
  /**
   * Temporary files of unfinished writes older than this are removed when the storage opens,
   * even if the process that made them looks alive (its id may have been reused after a
   * reboot). Default one hour. A write whose body stalls for longer than this may then fail.
   */
  cleanupTemporaryFilesOlderThanMs: z
    .number()
    .int()
    .positive('expected a positive number of milliseconds')
    .default(60 * 60 * 1000),
  /**
   * How long a write waits for another writer's lock on the same key before giving up with
   * `TRANSIENT_IO`. Default 30 seconds.
   */
  lockTimeoutMs: z
    .number()
    .int()
    .positive('expected a positive number of milliseconds')
    .default(30_000),
  /**
   * A lock file nobody refreshed for this long is taken to be left by a crashed writer and is
   * broken, even if its process id belongs to a live process. Holders refresh their lock
   * every third of this for as long as they hold it, so a slow write keeps its lock; only a
   * writer stalled for this long (or crashed on another machine) loses it, and it then fails
   * with `CONFLICT` instead of changing anything. Default one minute.
   */
  staleLockAfterMs: z
    .number()
    .int()
    .positive('expected a positive number of milliseconds')
    .default(60_000),
});

/** Options as a caller writes them: only `root` is required. */
export type FsStorageOptions = z.input<typeof fsStorageOptionsSchema>;

/** Options after validation, with defaults filled in. */
export type ResolvedFsStorageOptions = z.output<typeof fsStorageOptionsSchema>;

/**
 * Validates options at the factory boundary.
 *
 * @throws CairnError `INVALID_OPTIONS` naming every field that is wrong and what it expects.
 */
export function parseFsStorageOptions(options: unknown): ResolvedFsStorageOptions {
  const result = fsStorageOptionsSchema.safeParse(options);
  if (result.success) return result.data;
  const problems = result.error.issues.map((issue) => {
    if (issue.code === 'unrecognized_keys') {
      return `unknown option ${issue.keys.map((key) => `"${key}"`).join(', ')} (known: ${Object.keys(fsStorageOptionsSchema.shape).join(', ')})`;
    }
    const field = issue.path.length === 0 ? 'options' : issue.path.join('.');
    return `"${field}": ${issue.message}`;
  });
  return throwInvalid(problems, result.error);
}

function throwInvalid(problems: string[], cause: unknown): never {
  throw new CairnError({
    code: 'INVALID_OPTIONS',
    backend: fsStorageName,
    message: `Invalid fs storage options: ${problems.join('; ')}. Fix them in the call to createFsStorage or under "storage.options" in cairn.config.yaml.`,
    cause,
    details: { problems },
  });
}
