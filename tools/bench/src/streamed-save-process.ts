import { execFile } from 'node:child_process';
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** What a fresh process that saved one streamed checkpoint reports. */
export interface StreamedSaveReport {
  /** How long the save took, start-up and imports excluded, in milliseconds. */
  readonly durationMs: number;
  /** Resident set size after start-up and imports, before the save, in bytes. */
  readonly beforeBytes: number;
  /** Peak resident set size over the process's life (`maxRSS`), in bytes. */
  readonly peakBytes: number;
  /** Payload size the checkpoint record gives. */
  readonly size: number;
  /** Payload SHA-256 the checkpoint record gives. */
  readonly sha256: string;
}

const childScript = fileURLToPath(new URL('./streamed-save-child.mjs', import.meta.url));
const packagesFolder = fileURLToPath(new URL('../../../packages/', import.meta.url));

async function newestSourceChange(folder: string): Promise<number> {
  const entries = await readdir(folder, { recursive: true, withFileTypes: true });
  const times = await Promise.all(
    entries
      // What goes into dist: not tests, not test helpers.
      .filter(
        (entry) =>
          entry.isFile() &&
          entry.name.endsWith('.ts') &&
          !entry.name.endsWith('.test.ts') &&
          !join(entry.parentPath, entry.name).includes('/testing/'),
      )
      .map(async (entry) => (await stat(join(entry.parentPath, entry.name))).mtimeMs),
  );
  // An edit made while the benchmarks run is in neither this process's code nor the build.
  return Math.max(0, ...times.filter((time) => time < performance.timeOrigin));
}

/**
 * The child runs the packages' `dist`, so numbers from a build older than the sources would be
 * numbers of other code: refuse them. `pnpm bench` builds both packages first (Nx `^build`).
 */
export async function checkBuildsAreCurrent(): Promise<void> {
  for (const name of ['kernel', 'storage-fs']) {
    const folder = join(packagesFolder, name);
    const built = await stat(join(folder, 'dist', 'index.js')).then(
      (info) => info.mtimeMs,
      () => undefined,
    );
    if (built === undefined || built < (await newestSourceChange(join(folder, 'src')))) {
      throw new Error(
        `[bench] packages/${name}/dist is ${built === undefined ? 'missing' : 'older than its sources'}: run the benchmarks with \`npx --yes pnpm@10.34.9 bench\` (which builds it first) or build it (\`npx --yes pnpm@10.34.9 nx run-many -t build -p @cairn/kernel @cairn/storage-fs\`).`,
      );
    }
  }
}

/**
 * Saves `source` as a checkpoint on an fs storage at `root` in a new, plain Node process
 * running the built packages, and returns what it reports. Call {@link checkBuildsAreCurrent}
 * first.
 */
export async function saveInFreshProcess(
  root: string,
  source: string,
): Promise<StreamedSaveReport> {
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      [childScript, root, source],
      { encoding: 'utf8' },
      (error, stdout, stderr) => {
        if (error !== null) {
          reject(new Error(`the streamed-save child failed: ${stderr.trim() || error.message}`));
          return;
        }
        resolve(JSON.parse(stdout.trim().split('\n').at(-1) ?? '{}') as StreamedSaveReport);
      },
    );
  });
}
