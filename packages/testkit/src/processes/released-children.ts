import { type ChildProcess, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';

/** How to start one child process of a many-processes test. */
export interface ChildCommand {
  /** The executable, e.g. `process.execPath`. */
  readonly command: string;
  /** Its arguments; pass the child's assignment (as JSON) so it can read it. */
  readonly args: readonly string[];
  /** Working directory. */
  readonly cwd?: string;
  /** Environment; the parent's when left out. */
  readonly env?: NodeJS.ProcessEnv;
}

interface ReleasedChild<Report> {
  readonly child: ChildProcess;
  readonly ready: Promise<void>;
  readonly report: Promise<Report>;
  readonly exited: Promise<number | null>;
  readonly stderr: () => string;
}

function startChild<Report>(command: ChildCommand, label: string): ReleasedChild<Report> {
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
    new Error(`${label} exited (${child.exitCode ?? child.signalCode}): ${stderr}`);
  let markReady: () => void = () => {};
  let deliver: (report: Report) => void = () => {};
  const ready = new Promise<void>((resolve, reject) => {
    markReady = resolve;
    void exited.then(() => reject(failure()));
  });
  const report = new Promise<Report>((resolve, reject) => {
    deliver = resolve;
    void exited.then(() => reject(failure()));
  });
  // Settled promises ignore the later rejections; these keep an early exit from going unhandled.
  ready.catch(() => {});
  report.catch(() => {});
  createInterface({ input: child.stdout as NodeJS.ReadableStream }).on('line', (line) => {
    // Only the child's own JSON lines are messages; anything else a library printed is not.
    let message: { ready?: boolean; report?: Report };
    try {
      message = JSON.parse(line) as { ready?: boolean; report?: Report };
    } catch {
      return;
    }
    if (typeof message !== 'object' || message === null) return;
    if (message.ready === true) markReady();
    if (message.report !== undefined) deliver(message.report);
  });
  return { child, ready, report, exited, stderr: () => stderr };
}

/**
 * Starts one process per command, waits until every one has opened its storage and said so,
 * releases them all with one `go` line (so they race however long each took to boot), and
 * returns their reports in the order of `commands`. The children run {@link waitForRelease}
 * and {@link sendReport}. Rejects when a child exits before reporting or exits non-zero;
 * children still running are killed before it returns.
 *
 * @param label names child `index` in failure messages, e.g. `writer 3`.
 */
export async function runReleasedChildren<Report>(
  commands: readonly ChildCommand[],
  label: (index: number) => string,
): Promise<Report[]> {
  const running = commands.map((command, index) => startChild<Report>(command, label(index)));
  try {
    await Promise.all(running.map((child) => child.ready));
    for (const child of running) child.child.stdin?.end('go\n');
    const reports = await Promise.all(running.map((child) => child.report));
    for (const [index, child] of running.entries()) {
      const code = await child.exited;
      if (code !== 0) throw new Error(`${label(index)} exited with ${code}: ${child.stderr()}`);
    }
    return reports;
  } finally {
    for (const { child } of running) {
      if (child.exitCode === null && child.signalCode === null) child.kill();
    }
  }
}
