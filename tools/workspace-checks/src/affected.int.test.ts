import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { listProjects, workspaceRoot } from './workspace.js';

const run = promisify(execFile);

/** Asks Nx which projects a change to `files` affects. */
async function affectedBy(files: string[]): Promise<string[]> {
  const { stdout } = await run(
    join(workspaceRoot, 'node_modules/.bin/nx'),
    ['show', 'projects', '--affected', `--files=${files.join(',')}`, '--json'],
    {
      cwd: workspaceRoot,
      env: { ...process.env, NX_DAEMON: 'false', NX_TUI: 'false', NX_NO_CLOUD: 'true' },
    },
  );
  return (JSON.parse(stdout) as string[]).sort();
}

/**
 * What the manifests say should be affected: the project itself and, transitively, every project
 * that names it in dependencies, devDependencies or peerDependencies. Worked out here from the
 * package.json files alone, independently of Nx, so the test catches a wrong Nx graph.
 */
function expectedAffected(name: string): string[] {
  const projects = listProjects();
  const result = new Set([name]);
  let grew = true;
  while (grew) {
    grew = false;
    for (const { manifest } of projects) {
      if (result.has(manifest.name)) continue;
      const uses = Object.keys({
        ...manifest.dependencies,
        ...manifest.devDependencies,
        ...manifest.peerDependencies,
      });
      if (uses.some((dependency) => result.has(dependency))) {
        result.add(manifest.name);
        grew = true;
      }
    }
  }
  return [...result].sort();
}

describe('nx affected', () => {
  it('picks exactly a changed leaf package and its dependents', async () => {
    const affected = await affectedBy(['packages/storage-fs/src/index.ts']);
    expect(affected).toEqual(expectedAffected('@cairn/storage-fs'));
    expect(affected).toContain('@cairn/storage-fs');
    expect(affected).not.toContain('@cairn/kernel');
    expect(affected).not.toContain('@cairn/testkit');
  });

  it('picks the kernel and everything that builds on it when the kernel changes', async () => {
    const affected = await affectedBy(['packages/kernel/src/storage/keys.ts']);
    expect(affected).toEqual(expectedAffected('@cairn/kernel'));
    expect(affected).toEqual(
      expect.arrayContaining(['@cairn/kernel', '@cairn/testkit', '@cairn/storage-fs']),
    );
  });

  it('picks the testkit and the backends that run its suites, not the kernel', async () => {
    const affected = await affectedBy(['packages/testkit/README.md']);
    expect(affected).toEqual(expectedAffected('@cairn/testkit'));
    expect(affected).not.toContain('@cairn/kernel');
  });
});
