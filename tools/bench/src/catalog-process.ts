import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** What a fresh process that listed a catalog reports. */
export interface CatalogListingReport {
  /** How long the listing took, start-up and imports excluded, in milliseconds. */
  readonly durationMs: number;
  /** Entries listed (with their metrics). */
  readonly entries: number;
  /** Peak resident set size over the process's life (`maxRSS`), in bytes. */
  readonly peakBytes: number;
}

const childScript = fileURLToPath(new URL('./catalog-child.mjs', import.meta.url));

/**
 * Lists the catalog at `root` in a new, plain Node process on the built packages (`cairn`), or
 * the way a naive catalog or the raw file-system floor would (see catalog-child.mjs). Call
 * `checkBuildsAreCurrent` first.
 */
export function listInFreshProcess(
  mode: 'cairn' | 'naive' | 'raw',
  root: string,
): Promise<CatalogListingReport> {
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      [childScript, mode, root],
      { encoding: 'utf8' },
      (error, stdout, stderr) => {
        if (error !== null) {
          reject(
            new Error(`the catalog child (${mode}) failed: ${stderr.trim() || error.message}`),
          );
          return;
        }
        resolve(JSON.parse(stdout.trim().split('\n').at(-1) ?? '{}') as CatalogListingReport);
      },
    );
  });
}
