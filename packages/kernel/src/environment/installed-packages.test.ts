import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { canaries } from '../testing/environment-canaries.js';
import { temporaryProjects } from '../testing/temporary-project.js';
import { readInstalledPackages } from './installed-packages.js';

const createProject = temporaryProjects('cairn-environment-packages');

const manifest = (version: string) => JSON.stringify({ name: 'x', version });

describe('readInstalledPackages', () => {
  it('records the project and the installed version of each dependency, nearest first', async () => {
    const root = await createProject({
      'package.json': JSON.stringify({ name: 'workspace', private: true }),
      'node_modules/zod/package.json': manifest('4.0.0'),
      'node_modules/yaml/package.json': manifest('2.9.1'),
      'app/package.json': JSON.stringify({
        name: '@demo/app',
        version: '1.2.3',
        dependencies: { zod: '^4.6.0', '@scope/tool': 'workspace:*' },
        devDependencies: { yaml: '^2.0.0' },
      }),
      'app/node_modules/zod/package.json': manifest('4.6.7'),
      'app/node_modules/@scope/tool/package.json': manifest('0.1.0'),
    });
    const directory = path.join(root, 'app');
    const reading = await readInstalledPackages(directory);
    expect(reading.project).toEqual({
      directory,
      manifest: path.join(directory, 'package.json'),
      name: '@demo/app',
      version: '1.2.3',
    });
    expect(reading.packages).toEqual([
      { name: '@scope/tool', type: 'dependencies', range: 'workspace:*', installed: '0.1.0' },
      { name: 'zod', type: 'dependencies', range: '^4.6.0', installed: '4.6.7' },
      { name: 'yaml', type: 'devDependencies', range: '^2.0.0', installed: '2.9.1' },
    ]);
    expect(reading.warnings).toEqual([]);
  });

  it('finds the manifest from a folder inside the project', async () => {
    const root = await createProject({
      'package.json': JSON.stringify({ name: 'outer', version: '0.0.1' }),
    });
    const inner = path.join(root, 'src', 'deep');
    await mkdir(inner, { recursive: true });
    const reading = await readInstalledPackages(inner);
    expect(reading.project.manifest).toBe(path.join(root, 'package.json'));
    expect(reading.project.name).toBe('outer');
  });

  it('notes dependencies that are not installed, and unsafe names, as missing', async () => {
    const root = await createProject({
      'package.json': JSON.stringify({
        name: 'p',
        dependencies: { absent: '^1.0.0', '../escape': '1.0.0' },
      }),
      'escape/package.json': manifest('6.6.6'),
    });
    const reading = await readInstalledPackages(root);
    expect(reading.packages.map((entry) => entry.installed)).toEqual([undefined, undefined]);
    expect(reading.warnings).toHaveLength(1);
    expect(reading.warnings[0]).toContain('2 packages');
    expect(reading.warnings[0]).toContain('absent');
    expect(reading.warnings[0]).toContain('../escape');
  });

  it('hides a token inside a declared range', async () => {
    const root = await createProject({
      'package.json': JSON.stringify({
        name: 'p',
        dependencies: {
          lib: `git+https://ci:${canaries.githubToken}@github.com/org/lib.git`,
        },
      }),
    });
    const reading = await readInstalledPackages(root);
    expect(reading.packages[0]?.range).toBe('git+https://ci:[redacted]@github.com/org/lib.git');
  });

  it.each([
    ['not JSON', '{ not json'],
    ['not an object', '[1, 2]'],
  ])('warns instead of failing when package.json is %s', async (_what, content) => {
    const broken = await createProject({ 'package.json': content });
    const reading = await readInstalledPackages(broken);
    expect(reading.project.manifest).toBe(path.join(broken, 'package.json'));
    expect(reading.packages).toEqual([]);
    expect(reading.warnings).toEqual([
      `${path.join(broken, 'package.json')} is not a valid JSON object, so no package versions are recorded. Fix its syntax to record them.`,
    ]);
  });
});
