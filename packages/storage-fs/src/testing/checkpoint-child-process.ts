import { type ChildProcess, spawn } from 'node:child_process';
import { realpathSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const packageDirectory = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** How to start one child script. */
export interface ChildScript {
  /** `node` and its arguments up to (and including) the script. */
  readonly command: readonly string[];
  /** `bundle` (one prebuilt JavaScript file) or `tsx` (TypeScript loaded at start). */
  readonly mode: 'bundle' | 'tsx';
}

/** Child scripts ready to start, and the folder their bundles live in. */
export interface ChildScripts {
  readonly scripts: ReadonlyMap<string, ChildScript>;
  /** Removes the bundles. */
  dispose(): Promise<void>;
}

interface Esbuild {
  build(options: Record<string, unknown>): Promise<unknown>;
}

/**
 * esbuild, as tsx (a devDependency) brings it, or undefined. Found through tsx's own folder so
 * the package needs no new dependency.
 */
function findEsbuild(): Esbuild | undefined {
  try {
    const requireHere = createRequire(import.meta.url);
    const tsxManifest = realpathSync(requireHere.resolve('tsx/package.json'));
    return createRequire(tsxManifest)('esbuild') as Esbuild;
  } catch {
    return undefined;
  }
}

/**
 * Prepares `src/testing/<name>` scripts to run in child processes. Loading the sources
 * through tsx takes about a second per process (the kernel is many modules); the crash
 * harness starts hundreds of processes, so each script is bundled once into one JavaScript
 * file (same sources, `source` condition), which starts in a fraction of that. Without esbuild
 * the scripts run through tsx, slower but the same.
 */
export async function prepareChildScripts(names: readonly string[]): Promise<ChildScripts> {
  const esbuild = findEsbuild();
  const tsxScript = (name: string): ChildScript => ({
    command: [
      process.execPath,
      '--conditions=source',
      '--import',
      'tsx',
      join(packageDirectory, 'src', 'testing', name),
    ],
    mode: 'tsx',
  });
  if (esbuild === undefined) {
    return {
      scripts: new Map(names.map((name) => [name, tsxScript(name)])),
      dispose: async () => {},
    };
  }
  const directory = await mkdtemp(join(tmpdir(), 'cairn-child-bundles-'));
  const scripts = new Map<string, ChildScript>();
  for (const name of names) {
    const outfile = join(directory, `${basename(name, '.ts')}.mjs`);
    await esbuild.build({
      entryPoints: [join(packageDirectory, 'src', 'testing', name)],
      absWorkingDir: packageDirectory,
      bundle: true,
      platform: 'node',
      format: 'esm',
      target: 'node20',
      conditions: ['source'],
      outfile,
      logLevel: 'error',
      // Bundled CommonJS dependencies call require(); an ES module has none of its own.
      banner: {
        js: "import { createRequire as createRequireForBundle } from 'node:module'; const require = createRequireForBundle(import.meta.url);",
      },
    });
    scripts.set(name, { command: [process.execPath, outfile], mode: 'bundle' });
  }
  return {
    scripts,
    dispose: () => rm(directory, { recursive: true, force: true }),
  };
}

/** A child process that talks in lines: commands on stdin, answers on stdout. */
export interface LineChild {
  /** The process. */
  readonly process: ChildProcess;
  /** Every complete stdout line so far. */
  readonly lines: readonly string[];
  /**
   * Resolves with the first line (from the start) that `predicate` accepts; rejects when the
   * child exits first or after `timeoutMs`.
   */
  waitForLine(
    predicate: (line: string, index: number) => boolean,
    timeoutMs: number,
  ): Promise<string>;
  /** Writes one line to the child's stdin. */
  send(line: string): void;
  /** Resolves when the child has exited and its output is read to the end. */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Everything the child wrote to stderr so far. */
  errors(): string;
}

/** Starts `script` with `parameters`. */
export function startLineChild(script: ChildScript, parameters: readonly string[]): LineChild {
  const [command, ...commandArguments] = script.command;
  const child = spawn(command as string, [...commandArguments, ...parameters], {
    cwd: packageDirectory,
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  const lines: string[] = [];
  const waiters = new Set<() => void>();
  let partial = '';
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  child.stdout.on('data', (chunk: Buffer) => {
    partial += chunk.toString();
    const parts = partial.split('\n');
    partial = parts.pop() ?? '';
    lines.push(...parts);
    for (const wake of waiters) wake();
  });
  // A child killed before reading its stdin must not crash the parent with EPIPE.
  child.stdin.on('error', () => {});
  // 'close' comes after the output is read to the end: no line can follow it.
  let closed = false;
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('close', (code, signal) => {
      closed = true;
      for (const wake of waiters) wake();
      resolve({ code, signal });
    }),
  );

  function waitForLine(
    predicate: (line: string, index: number) => boolean,
    timeoutMs: number,
  ): Promise<string> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        waiters.delete(check);
        reject(new Error(`no matching line from the child within ${timeoutMs} ms: ${stderr}`));
      }, timeoutMs);
      function check() {
        const found = lines.find(predicate);
        if (found === undefined && !closed) return;
        clearTimeout(timer);
        waiters.delete(check);
        if (found !== undefined) resolve(found);
        else reject(new Error(`the child exited without a matching line: ${stderr}`));
      }
      waiters.add(check);
      check();
    });
  }

  return {
    process: child,
    lines,
    waitForLine,
    send: (line) => {
      child.stdin.write(`${line}\n`);
    },
    exited,
    errors: () => stderr,
  };
}
