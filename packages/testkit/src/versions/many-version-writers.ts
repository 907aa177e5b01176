import { type ChildProcess, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import type { Storage } from '@cairn/kernel';
import {
  checkVersionHistory,
  readVersionHistory,
  type StoredVersion,
} from './version-history-check.js';
import type { VersionWriterAssignment, VersionWriterReport } from './version-writer.js';

/** How to start one writer process. */
export interface VersionWriterCommand {
  /** The executable, e.g. `process.execPath`. */
  readonly command: string;
  /** Its arguments; pass the assignment (as JSON) so the child can read it. */
  readonly args: readonly string[];
  /** Working directory. */
  readonly cwd?: string;
  /** Environment; the parent's when left out. */
  readonly env?: NodeJS.ProcessEnv;
}

/** Options for {@link runManyVersionWriters}. */
export interface ManyVersionWritersOptions {
  /** The store every writer uses, opened in this process too, to read the history after. */
  readonly storage: Storage;
  /** The versioned name's prefix (ends with `/`); use a fresh one per run. */
  readonly prefix: string;
  /** How many writer processes. */
  readonly writers: number;
  /** How many versions each writer creates. */
  readonly versionsEach: number;
  /**
   * The command that starts a writer: a script that opens the same store and calls
   * {@link runVersionWriterChild} with this assignment.
   */
  readonly startWriter: (assignment: VersionWriterAssignment) => VersionWriterCommand;
}

/** What a many-writers run produced. */
export interface ManyVersionWritersOutcome {
  /** One report per writer, as the children printed them. */
  readonly reports: readonly VersionWriterReport[];
  /** The versions in the store afterwards. */
  readonly stored: readonly StoredVersion[];
  /** Everything wrong (see {@link checkVersionHistory}); empty when the run was right. */
  readonly problems: readonly string[];
}

interface RunningWriter {
  readonly child: ChildProcess;
  readonly ready: Promise<void>;
  readonly report: Promise<VersionWriterReport>;
  readonly exited: Promise<number | null>;
  readonly stderr: () => string;
}

function startWriterProcess(command: VersionWriterCommand, writer: number): RunningWriter {
  const child = spawn(command.command, [...command.args], {
    cwd: command.cwd,
    env: command.env ?? process.env,
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  // 'close', not 'exit': by then stdout is drained, so a report printed just before exiting
  // has been read.
  const exited = new Promise<number | null>((resolve) =>
    child.once('close', (code) => resolve(code)),
  );
  const failure = () =>
    new Error(`writer ${writer} exited (${child.exitCode ?? child.signalCode}): ${stderr}`);
  let markReady: () => void = () => {};
  let deliver: (report: VersionWriterReport) => void = () => {};
  const ready = new Promise<void>((resolve, reject) => {
    markReady = resolve;
    void exited.then(() => reject(failure()));
  });
  const report = new Promise<VersionWriterReport>((resolve, reject) => {
    deliver = resolve;
    void exited.then(() => reject(failure()));
  });
  // Settled promises ignore the later rejections; these keep an early exit from going unhandled.
  ready.catch(() => {});
  report.catch(() => {});
  createInterface({ input: child.stdout as NodeJS.ReadableStream }).on('line', (line) => {
    const message = JSON.parse(line) as { ready?: boolean; report?: VersionWriterReport };
    if (message.ready === true) markReady();
    if (message.report !== undefined) deliver(message.report);
  });
  return { child, ready, report, exited, stderr: () => stderr };
}

/**
 * Starts `writers` processes that each create `versionsEach` versions of ONE name at the same
 * moment, then checks the store: versions 1…writers×versionsEach present once each, every
 * (writer, iteration) stored exactly once, and every writer's reported numbers matching what is
 * stored. Backend-neutral: the caller's command opens its own store (fs root, S3 bucket…).
 *
 * @example
 * const outcome = await runManyVersionWriters({ storage, prefix: 'many/', writers: 8, versionsEach: 50,
 *   startWriter: (assignment) => ({ command: process.execPath,
 *     args: ['--import', 'tsx', childScript, JSON.stringify(description), JSON.stringify(assignment)] }) });
 * expect(outcome.problems).toEqual([]);
 */
export async function runManyVersionWriters(
  options: ManyVersionWritersOptions,
): Promise<ManyVersionWritersOutcome> {
  const { storage, prefix, writers, versionsEach } = options;
  const running = Array.from({ length: writers }, (_, writer) =>
    startWriterProcess(options.startWriter({ writer, prefix, versions: versionsEach }), writer),
  );
  try {
    await Promise.all(running.map((writer) => writer.ready));
    for (const writer of running) writer.child.stdin?.end('go\n');
    const reports = await Promise.all(running.map((writer) => writer.report));
    for (const [index, writer] of running.entries()) {
      const code = await writer.exited;
      if (code !== 0) throw new Error(`writer ${index} exited with ${code}: ${writer.stderr()}`);
    }
    const stored = await readVersionHistory(storage, prefix);
    return {
      reports,
      stored,
      problems: checkVersionHistory({ writers, versionsEach, stored, reports }),
    };
  } finally {
    for (const writer of running) {
      if (writer.child.exitCode === null && writer.child.signalCode === null) writer.child.kill();
    }
  }
}
