import { join } from 'node:path';
import { parseRunId } from '@cairn/kernel';

/**
 * Where one run's archive lives, below the archive directory:
 *
 * ```
 * <directory>/<pipeline>/<run time id>/index.jsonl                 the hash-chained index
 * <directory>/<pipeline>/<run time id>/responses/<sha256>.json     one object per attempt, content-keyed
 * ```
 *
 * Response objects are named by the SHA-256 of their bytes: written (to a temporary name, then
 * renamed) before the index entry that points at them, so an entry never points at a partial
 * object and an object whose entry never landed is harmless.
 */
export function archivePaths(directory: string, run: string) {
  const { pipeline, timeId } = parseRunId(run);
  const folder = join(directory, pipeline, timeId);
  return {
    folder,
    index: join(folder, 'index.jsonl'),
    responses: join(folder, 'responses'),
    /** The response object of a digest, relative to the folder (as the index records it). */
    responseName: (sha256: string) => `responses/${sha256}.json`,
  };
}
