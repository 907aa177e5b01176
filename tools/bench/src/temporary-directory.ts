import { rmSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const live = new Set<string>();
let interruptHandlerInstalled = false;

// Ctrl+C in the middle of a 256 MiB benchmark must not leave gigabytes in the temp folder.
function installInterruptHandler(): void {
  if (interruptHandlerInstalled) return;
  interruptHandlerInstalled = true;
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      for (const directory of live) rmSync(directory, { recursive: true, force: true });
      process.exit(signal === 'SIGINT' ? 130 : 143);
    });
  }
}

/**
 * Runs `action` with a fresh folder under the system temp folder and removes the folder
 * afterwards, whether `action` succeeds, throws, or the process is interrupted.
 */
export async function withTemporaryDirectory<T>(
  name: string,
  action: (directory: string) => Promise<T>,
): Promise<T> {
  installInterruptHandler();
  const directory = await mkdtemp(join(tmpdir(), `cairn-bench-${name}-`));
  live.add(directory);
  try {
    return await action(directory);
  } finally {
    await rm(directory, { recursive: true, force: true });
    live.delete(directory);
  }
}
