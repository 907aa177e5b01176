import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { type PackageManifest, workspaceRoot } from './workspace.js';

const readme = readFileSync(join(workspaceRoot, 'README.md'), 'utf8');
const ciScript = readFileSync(join(workspaceRoot, '.ci/run'), 'utf8');
const rootManifest = JSON.parse(
  readFileSync(join(workspaceRoot, 'package.json'), 'utf8'),
) as PackageManifest;

function quickStartLines(): string[] {
  const section = readme.split(/^## /m).find((part) => part.startsWith('Quick start'));
  const block = section?.match(/```sh\n([\s\S]*?)```/)?.[1] ?? '';
  return block.split('\n').filter((line) => line.trim() !== '');
}

describe('README quick start', () => {
  it('has exactly two lines: the main job, then all tests', () => {
    const lines = quickStartLines();
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(/ demo$/);
    expect(lines[1]).toMatch(/ test$/);
  });

  it('needs only Node: pnpm comes pinned through npx, matching packageManager', () => {
    const version = rootManifest.packageManager;
    expect(version).toMatch(/^pnpm@10\./);
    for (const line of quickStartLines()) {
      expect(line.startsWith(`npx --yes ${version} install && npx --yes ${version} `)).toBe(true);
    }
  });

  it('is run verbatim by CI', () => {
    const testLine = quickStartLines()[1] ?? 'missing';
    // Verbatim, optionally followed by a pipe that keeps a copy of the output.
    const runs = ciScript
      .split('\n')
      .filter((line) => line === testLine || line.startsWith(`${testLine} 2>&1 | tee `));
    expect(runs).toHaveLength(1);
  });

  it('names scripts that exist', () => {
    expect(rootManifest.scripts?.demo).toBeDefined();
    expect(rootManifest.scripts?.test).toBeDefined();
    expect(rootManifest.scripts?.['check-packages']).toBeDefined();
  });
});
