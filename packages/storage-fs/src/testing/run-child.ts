import { type ChildProcess, type SpawnOptions, spawn } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const packageDirectory = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const childScript = join(packageDirectory, 'src', 'testing', 'child-storage.ts');

/** A child process running `child-storage.ts`, with its output lines. */
export interface StorageChild {
  /** The process. */
  readonly process: ChildProcess;
  /** Resolves with the first JSON line the child prints. */
  readonly firstReport: Promise<Record<string, unknown>>;
  /** Resolves when the child exits, with its exit code and signal. */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Everything the child wrote to stderr so far, for failure messages. */
  errors(): string;
}

/** Starts `child-storage.ts <command> <root> <key> [argument]` in a new Node process. */
export function startStorageChild(
  parameters: readonly string[],
  options: Pick<SpawnOptions, 'uid' | 'gid'> = {},
): StorageChild {
  const child = spawn(
    process.execPath,
    ['--conditions=source', '--import', 'tsx', childScript, ...parameters],
    { cwd: packageDirectory, stdio: ['ignore', 'pipe', 'pipe'], ...options },
  );
  let stdout = '';
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  const firstReport = new Promise<Record<string, unknown>>((resolve, reject) => {
    child.stdout?.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      const line = stdout.split('\n')[0];
      if (stdout.includes('\n') && line !== undefined) resolve(JSON.parse(line));
    });
    void exited.then(({ code, signal }) =>
      reject(new Error(`child exited (${code ?? signal}) without a report: ${stderr}`)),
    );
  });
  // Callers that never look at the report must not get an unhandled rejection on exit.
  firstReport.catch(() => {});
  return { process: child, firstReport, exited, errors: () => stderr };
}
