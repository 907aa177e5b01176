import { createInterface } from 'node:readline';

/**
 * The child's side of {@link runReleasedChildren}, called once its storage is open: prints
 * `{"ready":true}` and resolves when the parent sends `go` on stdin.
 * @throws Error when stdin closes before `go` (the parent gave up).
 */
export async function waitForRelease(): Promise<void> {
  const lines = createInterface({ input: process.stdin });
  const go = new Promise<void>((resolve, reject) => {
    lines.on('line', (line) => {
      if (line.trim() === 'go') resolve();
    });
    lines.once('close', () => reject(new Error('stdin closed before "go"')));
  });
  process.stdout.write(`${JSON.stringify({ ready: true })}\n`);
  await go;
  lines.close();
}

/** Prints the child's report as the one `{"report":…}` line {@link runReleasedChildren} reads. */
export function sendReport(report: unknown): void {
  process.stdout.write(`${JSON.stringify({ report })}\n`);
}
