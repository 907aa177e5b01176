import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const execFileAsync = promisify(execFile);

/**
 * Runs git in `directory` for a test, with an identity given on the command line (the
 * machine may have none) and no variables inherited that would point git elsewhere.
 */
export async function gitIn(directory: string, ...args: string[]): Promise<string> {
  const environment = { ...process.env };
  for (const name of ['GIT_DIR', 'GIT_WORK_TREE', 'GIT_INDEX_FILE']) delete environment[name];
  const { stdout } = await execFileAsync(
    'git',
    ['-c', 'user.name=Cairn Test', '-c', 'user.email=test@cairn.invalid', ...args],
    { cwd: directory, env: environment },
  );
  return stdout;
}

/** Makes `directory` a git repository on branch `main` with everything in it committed. */
export async function initRepository(directory: string): Promise<string> {
  await gitIn(directory, 'init', '--quiet', '--initial-branch=main');
  await gitIn(directory, 'add', '--all');
  await gitIn(directory, 'commit', '--quiet', '--no-gpg-sign', '-m', 'initial');
  return (await gitIn(directory, 'rev-parse', 'HEAD')).trim();
}
