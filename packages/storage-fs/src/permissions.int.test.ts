import { chmod, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { startStorageChild } from './testing/run-child.js';
import { temporaryRoot } from './testing/temporary-root.js';

// A real EACCES from the operating system, not an injected one. Root ignores permission bits,
// so when the tests run as root the writer is a child process running as "nobody"; otherwise
// the root folder is made read-only for the current user.
describe('permission errors from the real file system', () => {
  it('a root the writer may not write to gives PERMANENT_IO naming the path to check', async () => {
    const base = await temporaryRoot();
    const root = join(base, 'store');
    await mkdir(root);
    const runningAsRoot = process.getuid?.() === 0;
    await chmod(base, 0o755);
    await chmod(root, runningAsRoot ? 0o755 : 0o555);
    const nobody = 65534;
    const child = startStorageChild(
      ['put', root, 'runs/r1/result.json', '{"score":1}'],
      runningAsRoot ? { uid: nobody, gid: nobody } : {},
    );
    const report = await child.firstReport;
    expect(await child.exited, child.errors()).toEqual({ code: 0, signal: null });
    await chmod(root, 0o755);
    expect(report).toMatchObject({ code: 'PERMANENT_IO', retryable: false });
    expect(report.message).toMatch(/^\[cairn\] \[fs\] Could not /);
    expect(report.message).toContain('permission denied');
    expect(report.message).toContain(`Check the permissions of ${root}`);
  });
});
