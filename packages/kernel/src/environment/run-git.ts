import { spawn } from 'node:child_process';

/** How one git command ended. Never thrown: a missing git is a warning, not an error. */
export type GitOutcome =
  | {
      readonly kind: 'ok';
      /** Standard output, at most `maxOutputBytes`. */
      readonly stdout: Buffer;
      /** True when git wrote more than `maxOutputBytes` and was stopped. */
      readonly truncated: boolean;
    }
  | { readonly kind: 'failed'; readonly exitCode: number | null; readonly stderr: string }
  | { readonly kind: 'missing' }
  | { readonly kind: 'timeout' };

/** Options of {@link RunGit}. */
export interface RunGitOptions {
  /** The directory git runs in. */
  readonly cwd: string;
  /** Stop git and report `timeout` after this long. */
  readonly timeoutMs: number;
  /** Keep at most this much of standard output; stop git once it has written more. */
  readonly maxOutputBytes: number;
}

/** Runs `git <args>`. Injected in tests so levels can be checked without a repository. */
export type RunGit = (args: readonly string[], options: RunGitOptions) => Promise<GitOutcome>;

/**
 * Variables that point git at another repository, index or object store. Inherited (from a
 * git hook that runs the tests, say), they would make git describe a different tree than
 * the project's.
 */
const redirectingVariables = [
  'GIT_DIR',
  'GIT_WORK_TREE',
  'GIT_INDEX_FILE',
  'GIT_OBJECT_DIRECTORY',
  'GIT_ALTERNATE_OBJECT_DIRECTORIES',
  'GIT_COMMON_DIR',
  'GIT_NAMESPACE',
  'GIT_PREFIX',
];

/** Longest standard error kept for a warning. */
const maxStderrBytes = 4096;

function gitEnvironment(): NodeJS.ProcessEnv {
  const environment: NodeJS.ProcessEnv = { ...process.env };
  for (const name of redirectingVariables) delete environment[name];
  // A capture only reads: without this, `git status` refreshes and rewrites the index, taking
  // `index.lock` from under a commit running at the same moment.
  environment.GIT_OPTIONAL_LOCKS = '0';
  environment.GIT_TERMINAL_PROMPT = '0';
  return environment;
}

/**
 * Runs git without a shell (arguments are passed as they are), in `cwd`, with a timeout.
 * `spawn` rather than `execFile` so output past the limit is not buffered: git is stopped as
 * soon as it has written more than `maxOutputBytes`.
 */
export const runGit: RunGit = (args, options) =>
  new Promise((resolve) => {
    const child = spawn('git', [...args], {
      cwd: options.cwd,
      env: gitEnvironment(),
      stdio: ['ignore', 'pipe', 'pipe'],
      windowsHide: true,
    });
    const stdout: Buffer[] = [];
    let stdoutBytes = 0;
    let truncated = false;
    let stderr = '';
    let settled = false;
    const finish = (outcome: GitOutcome) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve(outcome);
    };
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      finish({ kind: 'timeout' });
    }, options.timeoutMs);
    child.stdout.on('data', (chunk: Buffer) => {
      if (truncated) return;
      const room = options.maxOutputBytes - stdoutBytes;
      if (chunk.length > room) {
        stdout.push(chunk.subarray(0, room));
        stdoutBytes += room;
        truncated = true;
        child.kill('SIGKILL');
        return;
      }
      stdout.push(chunk);
      stdoutBytes += chunk.length;
    });
    child.stderr.on('data', (chunk: Buffer) => {
      if (stderr.length < maxStderrBytes) stderr += chunk.toString('utf8');
    });
    child.on('error', (error: NodeJS.ErrnoException) => {
      finish(
        error.code === 'ENOENT'
          ? { kind: 'missing' }
          : { kind: 'failed', exitCode: null, stderr: error.message },
      );
    });
    child.on('close', (exitCode) => {
      if (truncated || exitCode === 0) {
        finish({ kind: 'ok', stdout: Buffer.concat(stdout), truncated });
      } else {
        finish({ kind: 'failed', exitCode, stderr: stderr.slice(0, maxStderrBytes) });
      }
    });
  });
