import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { availableParallelism, cpus, release, tmpdir, totalmem, type } from 'node:os';

const gibibyte = 1024 * 1024 * 1024;

/**
 * The file system holding `path`, from the longest mount point above it in /proc/mounts;
 * `unknown` where there is no such file (macOS, Windows).
 */
function fileSystemOf(path: string): string {
  let mounts: string;
  try {
    mounts = readFileSync('/proc/mounts', 'utf8');
  } catch {
    return 'unknown';
  }
  let best = { mountPoint: '', description: 'unknown' };
  for (const line of mounts.split('\n')) {
    const [device, mountPoint, fileSystem] = line.split(' ');
    if (device === undefined || mountPoint === undefined || fileSystem === undefined) continue;
    const above =
      path === mountPoint || path.startsWith(mountPoint === '/' ? '/' : `${mountPoint}/`);
    if (above && mountPoint.length > best.mountPoint.length) {
      best = { mountPoint, description: `${fileSystem} on ${device}` };
    }
  }
  return best.description;
}

/**
 * The commit measured, and whether files differed from it: numbers from a tree with other
 * people's edits in progress are not numbers of that commit.
 */
function sourceVersion(): string {
  const git = (...parameters: string[]) =>
    execFileSync('git', parameters, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
  try {
    const commit = git('rev-parse', '--short', 'HEAD').trim();
    const changed = git('status', '--porcelain', '--untracked-files=no').trim();
    return changed === '' ? `git ${commit}` : `git ${commit} with uncommitted changes`;
  } catch {
    return 'unknown (not a git checkout)';
  }
}

/** Markdown lines that say what machine, runtime and source the numbers come from. */
export function describeMachine(): string[] {
  const model = cpus()[0]?.model.trim() ?? 'unknown CPU';
  const temporary = tmpdir();
  return [
    `- Date: ${new Date().toISOString()}`,
    `- CPU: ${availableParallelism()} cores, ${model}`,
    `- Memory: ${(totalmem() / gibibyte).toFixed(1)} GiB`,
    `- OS: ${type()} ${release()}`,
    `- Node: ${process.version}`,
    `- Temporary folder: ${temporary} (${fileSystemOf(temporary)})`,
    `- Source: ${sourceVersion()}`,
  ];
}
