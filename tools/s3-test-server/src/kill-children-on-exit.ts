import { rmSync } from 'node:fs';

/**
 * Something to tear down if the test process exits without stopping it. It must be
 * synchronous: an `exit` handler cannot wait for promises.
 */
export type ExitCleanup = () => void;

const pending = new Set<ExitCleanup>();
let hooked = false;

function runAll(): void {
  for (const cleanup of pending) {
    try {
      cleanup();
    } catch {
      // The process is exiting; one failed cleanup must not skip the others.
    }
  }
  pending.clear();
}

/**
 * Registers `cleanup` to run when this process exits, so a crashed or forgetful test run
 * leaves no server process behind. Returns the function that unregisters it. One `exit`
 * listener serves every registration, so starting many servers adds no listener warnings.
 */
export function onProcessExit(cleanup: ExitCleanup): () => void {
  if (!hooked) {
    hooked = true;
    process.on('exit', runAll);
  }
  pending.add(cleanup);
  return () => {
    pending.delete(cleanup);
  };
}

/** Kills a process by id and removes a directory, ignoring what is already gone. */
export function killAndRemoveSync(pid: number | undefined, directory: string): void {
  if (pid !== undefined) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // Already gone.
    }
  }
  rmSync(directory, { recursive: true, force: true });
}
