import { chmod } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { temporaryProjects } from '../testing/temporary-project.js';
import { captureEnvironment } from './capture-environment.js';
import { runGit } from './run-git.js';

const createProject = temporaryProjects('cairn-environment-run-git');
const originalPath = process.env.PATH;

afterEach(() => {
  process.env.PATH = originalPath;
});

/** Puts a fake `git` (a shell script) first on PATH; returns a directory to run it in. */
async function fakeGitOnPath(script: string): Promise<string> {
  const bin = await createProject({ git: `#!/bin/sh\n${script}\n` });
  await chmod(path.join(bin, 'git'), 0o755);
  process.env.PATH = `${bin}${path.delimiter}${originalPath ?? ''}`;
  return bin;
}

describe('runGit', () => {
  it('stops a git that does not finish in time and reports a timeout', async () => {
    const cwd = await fakeGitOnPath('exec sleep 30');
    const outcome = await runGit(['status'], { cwd, timeoutMs: 200, maxOutputBytes: 1024 });
    expect(outcome).toEqual({ kind: 'timeout' });
  });

  it('stops a git that writes more than the limit and keeps exactly the limit', async () => {
    const cwd = await fakeGitOnPath('exec yes cairn');
    const outcome = await runGit(['diff'], { cwd, timeoutMs: 30_000, maxOutputBytes: 100_000 });
    expect(outcome.kind).toBe('ok');
    if (outcome.kind !== 'ok') return;
    expect(outcome.truncated).toBe(true);
    expect(outcome.stdout.length).toBe(100_000);
    expect(outcome.stdout.subarray(0, 12).toString()).toBe('cairn\ncairn\n');
  });

  it('passes arguments as they are, without a shell', async () => {
    const cwd = await fakeGitOnPath('printf "%s|" "$@"');
    const outcome = await runGit(['log', '$(touch pwned)', 'a b;c'], {
      cwd,
      timeoutMs: 30_000,
      maxOutputBytes: 1024,
    });
    expect(outcome.kind === 'ok' && outcome.stdout.toString()).toBe('log|$(touch pwned)|a b;c|');
  });

  it('reports the exit code and standard error of a failing git', async () => {
    const cwd = await fakeGitOnPath('echo "fatal: broken" >&2; exit 3');
    const outcome = await runGit(['status'], { cwd, timeoutMs: 30_000, maxOutputBytes: 1024 });
    expect(outcome).toEqual({ kind: 'failed', exitCode: 3, stderr: 'fatal: broken\n' });
  });

  it('reports a git that is not on PATH as missing', async () => {
    const cwd = await createProject();
    process.env.PATH = cwd;
    const outcome = await runGit(['status'], { cwd, timeoutMs: 30_000, maxOutputBytes: 1024 });
    expect(outcome).toEqual({ kind: 'missing' });
  });
});

describe('captureEnvironment without git on PATH', () => {
  it('warns and records the rest', async () => {
    const directory = await createProject({ 'package.json': JSON.stringify({ name: 'no-git' }) });
    process.env.PATH = directory;
    const capture = await captureEnvironment({ level: 2, projectDirectory: directory });
    expect(capture.record.git).toBeUndefined();
    expect(capture.record.project?.name).toBe('no-git');
    expect(capture.warnings).toEqual([
      'git is not installed or not on PATH, so no commit is recorded. Install git to record the commit and diff.',
    ]);
  });
});
