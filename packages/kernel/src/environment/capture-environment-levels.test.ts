import { describe, expect, it } from 'vitest';
import { sha256Of } from '../storage/body.js';
import { canaries } from '../testing/environment-canaries.js';
import { rejection } from '../testing/rejection.js';
import { temporaryProjects } from '../testing/temporary-project.js';
import { captureEnvironmentWith } from './capture-environment.js';
import type { EnvironmentProbes } from './environment-probes.js';
import {
  environmentRecordSchema,
  type RuntimeFacts,
  type SystemFacts,
} from './environment-record.js';
import type { GitOutcome, RunGit } from './run-git.js';

const createProject = temporaryProjects('cairn-environment-levels');

const runtime: RuntimeFacts = { node: 'v20.0.0', v8: '11.3', platform: 'linux', arch: 'x64' };
const system: SystemFacts = {
  osType: 'Linux',
  osRelease: '6.1.0',
  osVersion: '#1 SMP',
  hostname: 'box',
  cpuModel: 'Test CPU',
  cpuCount: 2,
  totalMemoryBytes: 8,
  freeMemoryBytes: 4,
};
const commit = 'a'.repeat(40);
const diff = 'diff --git a/x.txt b/x.txt\n--- a/x.txt\n+++ b/x.txt\n@@ -1 +1 @@\n-old\n+new\n';
const now = () => Date.UTC(2025, 7, 10, 14, 30, 22, 123);

const ok = (text: string, truncated = false): GitOutcome => ({
  kind: 'ok',
  stdout: Buffer.from(text),
  truncated,
});

/** A repository at /repo on `main` with one changed file and two untracked ones. */
const dirtyRepository: Record<string, GitOutcome> = {
  'rev-parse --show-toplevel': ok('/repo\n'),
  'rev-parse --verify': ok(`${commit}\n`),
  'symbolic-ref': ok('main\n'),
  'ls-files': ok('new-a.txt\0new-b.txt\0'),
  diff: ok(diff),
};

/** Fake git answering by the first words of the command; records every command. */
function fakeGit(answers: Record<string, GitOutcome>) {
  const calls: string[] = [];
  const runGit: RunGit = async (args, options) => {
    const command = args.join(' ');
    calls.push(command);
    expect(options.timeoutMs).toBeGreaterThan(0);
    const key = Object.keys(answers)
      .sort((left, right) => right.length - left.length)
      .find((prefix) => command.startsWith(prefix));
    if (key === undefined) throw new Error(`unexpected git ${command}`);
    return answers[key] as GitOutcome;
  };
  return { runGit, calls };
}

function probes(answers: Record<string, GitOutcome> = dirtyRepository) {
  const git = fakeGit(answers);
  const value: EnvironmentProbes = {
    runGit: git.runGit,
    runtime: () => runtime,
    system: () => system,
  };
  return { probes: value, calls: git.calls };
}

const environment = { HOME: '/home/someone', MY_PASSWORD: canaries.namedPassword };

async function project() {
  return createProject({
    'package.json': JSON.stringify({ name: 'demo', version: '1.0.0', dependencies: { zod: '^4' } }),
    'node_modules/zod/package.json': JSON.stringify({ name: 'zod', version: '4.6.7' }),
  });
}

describe('captureEnvironment levels', () => {
  it('captures nothing at level 0', async () => {
    const { probes: fixed, calls } = probes();
    const capture = await captureEnvironmentWith({ level: 0, environment }, fixed);
    expect(capture).toEqual({
      record: { format: 'cairn.environment/v1', level: 0, warnings: [] },
      warnings: [],
    });
    expect(calls).toEqual([]);
  });

  it('captures runtime, packages, commit, branch and time at level 1, and no more', async () => {
    const directory = await project();
    const { probes: fixed, calls } = probes();
    const capture = await captureEnvironmentWith(
      { level: 1, projectDirectory: directory, environment, now },
      fixed,
    );
    expect(capture.record).toEqual({
      format: 'cairn.environment/v1',
      level: 1,
      capturedAt: '2025-08-10T14:30:22.123Z',
      runtime,
      project: { directory, manifest: `${directory}/package.json`, name: 'demo', version: '1.0.0' },
      packages: [{ name: 'zod', type: 'dependencies', range: '^4', installed: '4.6.7' }],
      git: { root: '/repo', commit, branch: 'main' },
      warnings: [],
    });
    expect(capture.gitDiff).toBeUndefined();
    expect(capture.warnings).toEqual([]);
    expect(calls.some((command) => command.startsWith('diff'))).toBe(false);
    expect(calls.some((command) => command.startsWith('ls-files'))).toBe(false);
    expect(environmentRecordSchema.parse(capture.record)).toEqual(capture.record);
  });

  it('adds the diff, untracked files, a dirty warning and the system at level 2, not variables', async () => {
    const directory = await project();
    const { probes: fixed, calls } = probes();
    const capture = await captureEnvironmentWith(
      { level: 2, projectDirectory: directory, environment, now },
      fixed,
    );
    expect(capture.gitDiff).toBe(diff);
    expect(capture.record.git).toEqual({
      root: '/repo',
      commit,
      branch: 'main',
      dirty: true,
      untrackedFiles: 2,
      diff: {
        sha256: sha256Of(diff),
        bytes: Buffer.byteLength(diff),
        truncated: false,
        limitBytes: 10 * 1024 * 1024,
        redactions: 0,
      },
    });
    expect(capture.record.system).toEqual(system);
    expect(capture.record.variables).toBeUndefined();
    expect(capture.record.redactedVariables).toBeUndefined();
    expect(capture.warnings).toEqual([
      'The git working tree is dirty: 1 changed tracked file and 2 untracked files (not in the diff). Commit aaaaaaaaaaaa alone does not reproduce this run; the diff of tracked files is stored with it.',
    ]);
    expect(capture.record.warnings).toEqual(capture.warnings);
    expect(calls).toContain(
      'diff HEAD --binary --no-color --no-ext-diff --no-textconv --src-prefix=a/ --dst-prefix=b/',
    );
    expect(environmentRecordSchema.parse(capture.record)).toEqual(capture.record);
  });

  it('adds environment variables, redacted, at level 3', async () => {
    const directory = await project();
    const capture = await captureEnvironmentWith(
      { level: 3, projectDirectory: directory, environment, now },
      probes().probes,
    );
    expect(capture.record.variables).toEqual({ HOME: '/home/someone', MY_PASSWORD: '[redacted]' });
    expect(capture.record.redactedVariables).toEqual(['MY_PASSWORD']);
    expect(capture.record.system).toEqual(system);
    expect(capture.gitDiff).toBe(diff);
  });

  it('records a clean tree at level 2 without a diff or a warning', async () => {
    const directory = await project();
    const { probes: fixed } = probes({
      ...dirtyRepository,
      'ls-files': ok(''),
      diff: ok(''),
    });
    const capture = await captureEnvironmentWith({ level: 2, projectDirectory: directory }, fixed);
    expect(capture.record.git).toEqual({
      root: '/repo',
      commit,
      branch: 'main',
      dirty: false,
      untrackedFiles: 0,
    });
    expect(capture.gitDiff).toBeUndefined();
    expect(capture.warnings).toEqual([]);
  });

  it('scrubs the values of secret variables from the diff even when variables are not recorded', async () => {
    const directory = await project();
    const leaky = `diff --git a/.env b/.env\n@@ -0,0 +1 @@\n+PASSWORD=${canaries.namedPassword}\n`;
    const { probes: fixed } = probes({ ...dirtyRepository, diff: ok(leaky) });
    const capture = await captureEnvironmentWith(
      { level: 2, projectDirectory: directory, environment },
      fixed,
    );
    expect(capture.gitDiff).toBe('diff --git a/.env b/.env\n@@ -0,0 +1 @@\n+PASSWORD=[redacted]\n');
    expect(capture.record.git?.diff?.redactions).toBe(1);
    expect(capture.record.git?.diff?.sha256).toBe(sha256Of(capture.gitDiff ?? ''));
    expect(capture.warnings).toContain(
      '1 secret-looking value was replaced with [redacted] in the stored git diff, which may not apply cleanly there.',
    );
  });

  it('cuts a diff longer than maxDiffBytes at the last whole line and says so', async () => {
    const directory = await project();
    const partial = 'diff --git a/x b/x\n+first line\n+second li';
    const { probes: fixed } = probes({ ...dirtyRepository, diff: ok(partial, true) });
    const capture = await captureEnvironmentWith(
      { level: 2, projectDirectory: directory, maxDiffBytes: partial.length },
      fixed,
    );
    expect(capture.gitDiff).toBe('diff --git a/x b/x\n+first line\n');
    expect(capture.record.git?.diff).toMatchObject({ truncated: true, limitBytes: partial.length });
    expect(capture.warnings.some((warning) => warning.includes('longer than maxDiffBytes'))).toBe(
      true,
    );
  });
});

describe('captureEnvironment without a usable git', () => {
  it.each<[string, Record<string, GitOutcome>, string]>([
    [
      'git is missing',
      { 'rev-parse --show-toplevel': { kind: 'missing' } },
      'git is not installed',
    ],
    [
      'the directory is not in a repository',
      {
        'rev-parse --show-toplevel': {
          kind: 'failed',
          exitCode: 128,
          stderr: 'fatal: not a git repository (or any of the parent directories): .git\n',
        },
      },
      'is not inside a git repository',
    ],
    ['git hangs', { 'rev-parse --show-toplevel': { kind: 'timeout' } }, 'did not finish in time'],
    [
      'git fails otherwise',
      {
        'rev-parse --show-toplevel': {
          kind: 'failed',
          exitCode: 128,
          stderr: 'fatal: detected dubious ownership in repository\n',
        },
      },
      'failed (fatal: detected dubious ownership in repository)',
    ],
  ])('warns when %s and records no git section', async (_what, answers, warning) => {
    const directory = await project();
    const capture = await captureEnvironmentWith(
      { level: 2, projectDirectory: directory },
      probes(answers).probes,
    );
    expect(capture.record.git).toBeUndefined();
    expect(capture.warnings).toHaveLength(1);
    expect(capture.warnings[0]).toContain(warning);
    expect(capture.record.runtime).toEqual(runtime);
  });

  it('warns about a repository without commits and takes no diff', async () => {
    const directory = await project();
    const { probes: fixed, calls } = probes({
      ...dirtyRepository,
      'rev-parse --verify': { kind: 'failed', exitCode: 1, stderr: '' },
      'symbolic-ref': ok('main\n'),
      'ls-files': ok(''),
    });
    const capture = await captureEnvironmentWith({ level: 2, projectDirectory: directory }, fixed);
    expect(capture.record.git).toEqual({
      root: '/repo',
      branch: 'main',
      dirty: false,
      untrackedFiles: 0,
    });
    expect(capture.warnings).toEqual([
      'The git repository has no commits yet, so no commit is recorded.',
    ]);
    expect(calls.some((command) => command.startsWith('diff'))).toBe(false);
  });

  it('records no branch for a detached HEAD, without a warning', async () => {
    const directory = await project();
    const capture = await captureEnvironmentWith(
      { level: 1, projectDirectory: directory },
      probes({
        ...dirtyRepository,
        'symbolic-ref': { kind: 'failed', exitCode: 1, stderr: '' },
      }).probes,
    );
    expect(capture.record.git).toEqual({ root: '/repo', commit });
    expect(capture.warnings).toEqual([]);
  });

  it('warns when the diff times out and records no diff', async () => {
    const directory = await project();
    const capture = await captureEnvironmentWith(
      { level: 2, projectDirectory: directory },
      probes({ ...dirtyRepository, diff: { kind: 'timeout' } }).probes,
    );
    expect(capture.gitDiff).toBeUndefined();
    expect(capture.record.git?.diff).toBeUndefined();
    expect(capture.warnings[0]).toContain('"git diff HEAD" did not finish in time');
  });
});

describe('captureEnvironment options', () => {
  it.each([
    [{ level: 4 }, 'level: expected 0, 1, 2 or 3'],
    [{ level: 1, maxDiffBytes: -1 }, 'maxDiffBytes'],
    [{ level: 1, gitTimeoutMs: 0 }, 'gitTimeoutMs'],
    [{ level: 1, environment: { A: 1 } }, 'environment.A'],
  ])('rejects %j', async (options, problem) => {
    const error = await rejection(captureEnvironmentWith(options as never, probes().probes));
    expect(error.code).toBe('INVALID_OPTIONS');
    expect(error.message).toContain(problem);
    expect(error.message).toContain('captureEnvironment');
  });

  it('rejects a project directory that does not exist', async () => {
    const directory = await project();
    const error = await rejection(
      captureEnvironmentWith(
        { level: 1, projectDirectory: `${directory}/missing` },
        probes().probes,
      ),
    );
    expect(error.code).toBe('INVALID_OPTIONS');
    expect(error.message).toContain('does not exist');
  });
});
