import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CairnError } from '@cairn/kernel';
import { killAndRemoveSync, onProcessExit } from './kill-children-on-exit.js';

/** The script the child process runs; found beside this module so no build is needed. */
const serverScript = fileURLToPath(new URL('./s3-server-main.mjs', import.meta.url));

/** How long a stopped server gets to exit after SIGTERM before it is killed. */
const stopGraceMs = 2_000;

/** Keep this much of the child's stderr for error messages. */
const stderrTailLength = 8_000;

/** Options of {@link startS3Server}. */
export interface StartS3ServerOptions {
  /** Buckets created before the server answers; defaults to `['cairn-test']`. */
  buckets?: readonly string[];
  /**
   * Whether S3's conditional writes (`If-None-Match: *`, `If-Match: <etag>` on PutObject and
   * CompleteMultipartUpload) are imitated in front of s3rver. Defaults to true; false gives a
   * store that ignores both headers, like s3rver alone or an S3-compatible store without them.
   */
  conditionalWrites?: boolean;
  /** How long to wait for the server to listen; defaults to 30 seconds. */
  startupTimeoutMs?: number;
}

/** The S3Client configuration a test should use against an {@link S3TestServer}. */
export interface S3TestClientConfig {
  /** `http://127.0.0.1:<port>`. */
  endpoint: string;
  /** Always `us-east-1`. */
  region: string;
  /** s3rver serves path-style URLs only. */
  forcePathStyle: true;
  /** s3rver's fixed credentials. */
  credentials: { accessKeyId: string; secretAccessKey: string };
  /** Without it a streamed PutObject is stored with aws-chunked framing, i.e. corrupt. */
  requestChecksumCalculation: 'WHEN_REQUIRED';
  /** Keeps the SDK from validating checksums s3rver does not send. */
  responseChecksumValidation: 'WHEN_REQUIRED';
}

/** A running S3-compatible server (s3rver in a child process) on loopback. */
export interface S3TestServer {
  /** `http://127.0.0.1:<port>`. */
  readonly endpoint: string;
  /** The random port it listens on. */
  readonly port: number;
  /** Always `us-east-1`. */
  readonly region: string;
  /** s3rver's fixed credentials (`S3RVER` / `S3RVER`). */
  readonly credentials: { readonly accessKeyId: string; readonly secretAccessKey: string };
  /** The buckets that exist from the start. */
  readonly buckets: readonly string[];
  /** The fresh temporary directory s3rver stores objects in; removed by {@link stop}. */
  readonly directory: string;
  /** The child process's id. */
  readonly pid: number;
  /** A fresh S3Client configuration for this server; add `maxAttempts` etc. as needed. */
  clientConfig(): S3TestClientConfig;
  /**
   * Stops the server (SIGTERM, then SIGKILL after a grace period), waits for it to exit and
   * removes its directory. Calling it again returns the same promise.
   */
  stop(): Promise<void>;
}

/**
 * Starts s3rver in a child process on 127.0.0.1 with a random port and a fresh temporary
 * directory, creates the buckets, and resolves once it listens. The child is killed if this
 * process exits without calling `stop()`.
 *
 * @example
 * const server = await startS3Server();
 * const client = new S3Client({ ...server.clientConfig(), maxAttempts: 1 });
 * // …
 * await server.stop();
 */
export async function startS3Server(options: StartS3ServerOptions = {}): Promise<S3TestServer> {
  const buckets = [...(options.buckets ?? ['cairn-test'])];
  const conditionalWrites = options.conditionalWrites ?? true;
  const startupTimeoutMs = options.startupTimeoutMs ?? 30_000;
  const directory = await mkdtemp(join(tmpdir(), 'cairn-s3rver-'));

  // The test runner's NODE_OPTIONS (loaders, inspectors) must not leak into the server.
  const { NODE_OPTIONS: _ignored, ...environment } = process.env;
  const child = spawn(
    process.execPath,
    [serverScript, JSON.stringify({ directory, buckets, conditionalWrites })],
    { stdio: ['pipe', 'pipe', 'pipe'], env: environment },
  );
  const unregister = onProcessExit(() => killAndRemoveSync(child.pid, directory));
  const exited = new Promise<void>((resolve) => {
    child.once('exit', () => resolve());
    child.once('error', () => resolve());
  });
  let stderr = '';
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
    stderr = (stderr + chunk).slice(-stderrTailLength);
  });

  let port: number;
  try {
    port = await waitForPort(child, startupTimeoutMs, () => stderr);
  } catch (error) {
    child.kill('SIGKILL');
    await exited;
    await rm(directory, { recursive: true, force: true });
    unregister();
    throw error;
  }

  // A forgotten stop() must not keep the test process alive; the exit hook still kills it.
  unrefChild(child);

  let stopping: Promise<void> | undefined;
  const endpoint = `http://127.0.0.1:${port}`;
  const credentials = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' };
  return {
    endpoint,
    port,
    region: 'us-east-1',
    credentials,
    buckets,
    directory,
    pid: child.pid as number,
    clientConfig: () => ({
      endpoint,
      region: 'us-east-1',
      forcePathStyle: true,
      credentials: { ...credentials },
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
    }),
    stop() {
      stopping ??= (async () => {
        await stopChild(child, exited);
        await rm(directory, { recursive: true, force: true });
        unregister();
      })();
      return stopping;
    },
  };
}

/** Resolves with the port the child reports on stdout; rejects if it exits or times out first. */
function waitForPort(
  child: ChildProcess,
  timeoutMs: number,
  stderr: () => string,
): Promise<number> {
  return new Promise((resolve, reject) => {
    let stdout = '';
    const fail = (what: string, cause?: unknown) => {
      clearTimeout(timer);
      const output = stderr().trim();
      reject(
        new CairnError({
          code: 'PERMANENT_IO',
          backend: 's3-test-server',
          message: `s3rver did not start: ${what}.${output === '' ? '' : ` Its stderr:\n${output}\n`} Check that s3rver 3.7.1 is installed and the buckets are valid names.`,
          cause,
        }),
      );
    };
    const timer = setTimeout(() => fail(`no port reported within ${timeoutMs} ms`), timeoutMs);
    child.once('error', (error) =>
      fail(`the process could not be spawned (${error.message})`, error),
    );
    const onEarlyExit = (code: number | null, signal: NodeJS.Signals | null) =>
      fail(`the process exited early (${signal ?? `exit code ${code}`})`);
    child.once('close', onEarlyExit);
    child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk;
      const newline = stdout.indexOf('\n');
      if (newline === -1) return;
      try {
        const report = JSON.parse(stdout.slice(0, newline)) as { port?: unknown };
        if (typeof report.port !== 'number') throw new Error('no port in the report');
        clearTimeout(timer);
        child.removeListener('close', onEarlyExit);
        resolve(report.port);
      } catch (error) {
        fail(`its first stdout line was not a port report: ${stdout.slice(0, newline)}`, error);
      }
    });
  });
}

function unrefChild(child: ChildProcess): void {
  child.unref();
  for (const stream of [child.stdin, child.stdout, child.stderr]) {
    (stream as unknown as { unref?: () => void } | null)?.unref?.();
  }
}

async function stopChild(child: ChildProcess, exited: Promise<void>): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.ref();
  child.kill('SIGTERM');
  let timer: NodeJS.Timeout | undefined;
  const graceOver = new Promise<'grace-over'>((resolve) => {
    timer = setTimeout(() => resolve('grace-over'), stopGraceMs);
  });
  const outcome = await Promise.race([exited, graceOver]);
  clearTimeout(timer);
  if (outcome === 'grace-over') {
    child.kill('SIGKILL');
    await exited;
  }
}
