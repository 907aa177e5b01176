import { spawn } from 'node:child_process';

/** The id of a real process that has exited, for tests of stale-file cleanup. */
export async function deadProcessId(): Promise<number> {
  const child = spawn(process.execPath, ['-e', ''], { stdio: 'ignore' });
  const processId = child.pid;
  await new Promise((resolve) => child.once('exit', resolve));
  if (processId === undefined) throw new Error('the child process did not start');
  return processId;
}
