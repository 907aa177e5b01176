import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runKeys } from '../naming/layout.js';
import { readAll } from '../storage/body.js';
import { createMemoryStorage } from '../storage/memory-storage.js';
import { gitIn, initRepository } from '../testing/environment-git.js';
import { temporaryProjects } from '../testing/temporary-project.js';
import { captureEnvironment } from './capture-environment.js';
import { readGitDiff, storeEnvironment } from './store-environment.js';

const createProject = temporaryProjects('cairn-environment-git');
const run = 'research/20250810T143022.123Z-k3f9a2';

/** A committed project: a package.json, a text file and a small binary file. */
async function repository() {
  const directory = await createProject({
    'package.json': JSON.stringify({ name: 'git-demo', version: '0.1.0' }),
    'notes.txt': 'first line\nsecond line\n',
    'src/keep.txt': 'kept\n',
  });
  await writeFile(path.join(directory, 'weights.bin'), Buffer.from([0, 1, 2, 255, 0, 7]));
  const commit = await initRepository(directory);
  return { directory, commit };
}

describe('captureEnvironment with real git', () => {
  it('records the commit git reports, the branch, and a clean tree', async () => {
    const { directory, commit } = await repository();
    const capture = await captureEnvironment({ level: 2, projectDirectory: directory });
    expect(capture.record.git?.commit).toBe(commit);
    expect(capture.record.git?.commit).toBe((await gitIn(directory, 'rev-parse', 'HEAD')).trim());
    expect(capture.record.git?.branch).toBe('main');
    expect(capture.record.git?.dirty).toBe(false);
    expect(capture.record.git?.untrackedFiles).toBe(0);
    expect(capture.gitDiff).toBeUndefined();
    expect(capture.warnings).toEqual([]);
  });

  it('stores the diff of a dirty tree as its own blob, binary changes included, and warns', async () => {
    const { directory, commit } = await repository();
    await writeFile(path.join(directory, 'notes.txt'), 'first line\nchanged line\n');
    await writeFile(path.join(directory, 'weights.bin'), Buffer.from([9, 0, 8, 255, 0, 7, 6]));
    await writeFile(path.join(directory, 'scratch.txt'), 'not tracked\n');
    // Run from a folder inside the checkout: the diff still covers the whole repository.
    const capture = await captureEnvironment({
      level: 2,
      projectDirectory: path.join(directory, 'src'),
    });
    expect(capture.record.git).toMatchObject({ commit, dirty: true, untrackedFiles: 1 });
    expect(capture.gitDiff).toContain('+changed line');
    expect(capture.gitDiff).toContain('GIT binary patch');
    expect(capture.warnings).toEqual([
      `The git working tree is dirty: 2 changed tracked files and 1 untracked file (not in the diff). Commit ${commit.slice(0, 12)} alone does not reproduce this run; the diff of tracked files is stored with it.`,
    ]);

    const storage = createMemoryStorage();
    const stored = await storeEnvironment(storage, run, capture);
    expect(stored.gitDiff).toBe(runKeys(run).gitDiff);
    const blob = (await readAll((await storage.get(runKeys(run).gitDiff)).body)).toString('utf8');
    expect(blob).toBe(capture.gitDiff);
    expect(await readGitDiff(storage, run)).toBe(capture.gitDiff);

    // The stored diff rebuilds the tree from the commit, binary file and all.
    const changedNotes = await readFile(path.join(directory, 'notes.txt'));
    const changedWeights = await readFile(path.join(directory, 'weights.bin'));
    await gitIn(directory, 'checkout', '--', '.');
    const patch = path.join(await createProject({ 'stored.patch': blob }), 'stored.patch');
    await gitIn(directory, 'apply', patch);
    expect(await readFile(path.join(directory, 'notes.txt'))).toEqual(changedNotes);
    expect(await readFile(path.join(directory, 'weights.bin'))).toEqual(changedWeights);
  });

  it('cuts a diff longer than maxDiffBytes at a line end', async () => {
    const { directory } = await repository();
    const lines = Array.from({ length: 2000 }, (_, index) => `line ${index}`).join('\n');
    await writeFile(path.join(directory, 'notes.txt'), `${lines}\n`);
    const capture = await captureEnvironment({
      level: 2,
      projectDirectory: directory,
      maxDiffBytes: 4096,
    });
    expect(capture.record.git?.diff).toMatchObject({ truncated: true, limitBytes: 4096 });
    expect(Buffer.byteLength(capture.gitDiff ?? '')).toBeLessThanOrEqual(4096);
    expect(capture.gitDiff?.endsWith('\n')).toBe(true);
    expect(capture.warnings.some((warning) => warning.includes('longer than maxDiffBytes'))).toBe(
      true,
    );
  });

  it('warns, without failing, outside a git repository', async () => {
    const directory = await createProject({ 'package.json': JSON.stringify({ name: 'loose' }) });
    const capture = await captureEnvironment({ level: 2, projectDirectory: directory });
    expect(capture.record.git).toBeUndefined();
    expect(capture.gitDiff).toBeUndefined();
    expect(capture.warnings).toEqual([
      `${directory} is not inside a git repository, so no commit or diff is recorded. Run from a git checkout to record them.`,
    ]);
    expect(capture.record.project?.name).toBe('loose');
  });

  it('records no commit in a repository without one', async () => {
    const directory = await createProject({ 'package.json': '{}' });
    await gitIn(directory, 'init', '--quiet', '--initial-branch=trunk');
    const capture = await captureEnvironment({ level: 2, projectDirectory: directory });
    expect(capture.record.git?.commit).toBeUndefined();
    expect(capture.record.git?.branch).toBe('trunk');
    expect(capture.record.git?.untrackedFiles).toBe(1);
    expect(capture.warnings[0]).toBe(
      'The git repository has no commits yet, so no commit is recorded.',
    );
  });

  it('describes the project directory, not a repository GIT_DIR points at', async () => {
    const { directory, commit } = await repository();
    const other = await createProject({ 'other.txt': 'other\n' });
    const otherCommit = await initRepository(other);
    const saved = process.env.GIT_DIR;
    process.env.GIT_DIR = path.join(other, '.git');
    try {
      const capture = await captureEnvironment({ level: 1, projectDirectory: directory });
      expect(capture.record.git?.commit).toBe(commit);
      expect(capture.record.git?.commit).not.toBe(otherCommit);
    } finally {
      if (saved === undefined) delete process.env.GIT_DIR;
      else process.env.GIT_DIR = saved;
    }
  });

  it('records the real runtime and system', async () => {
    const { directory } = await repository();
    const capture = await captureEnvironment({ level: 2, projectDirectory: directory });
    expect(capture.record.runtime?.node).toBe(process.version);
    expect(capture.record.system?.cpuCount).toBeGreaterThan(0);
    expect(capture.record.system?.totalMemoryBytes).toBeGreaterThan(0);
  });
});
