import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { listPublishedProjects, workspaceRoot } from './workspace.js';

const published = listPublishedProjects();

describe('published packages', () => {
  it('exist (kernel, testkit and the fs backend at least)', () => {
    const names = published.map((project) => project.manifest.name);
    expect(names).toEqual(
      expect.arrayContaining(['@cairn/kernel', '@cairn/testkit', '@cairn/storage-fs']),
    );
  });

  describe.each(published.map((project) => [project.manifest.name, project] as const))(
    '%s',
    (_name, project) => {
      const { manifest, directory } = project;
      const absolute = join(workspaceRoot, directory);

      it('is an ESM @cairn package with license, engines and files', () => {
        expect(manifest.name).toMatch(/^@cairn\/[a-z0-9-]+$/);
        expect(manifest.type).toBe('module');
        expect(manifest.license).toBe('MIT');
        expect(manifest.engines?.node).toBe('>=20.19');
        expect(manifest.files).toContain('dist');
        expect(existsSync(join(absolute, 'LICENSE'))).toBe(true);
      });

      it('exports types and a source condition first, so workspace tests need no build', () => {
        const root = manifest.exports?.['.'] as Record<string, string> | undefined;
        expect(root).toBeDefined();
        expect(Object.keys(root ?? {})).toEqual(['source', 'types', 'default']);
        expect(root?.source).toMatch(/^\.\/src\/.+\.tsx?$/);
        expect(existsSync(join(absolute, root?.source ?? 'missing'))).toBe(true);
        expect(root?.types).toMatch(/^\.\/dist\/.+\.d\.ts$/);
      });

      it('has build, typecheck, lint, test and check-package targets', () => {
        expect(Object.keys(manifest.scripts ?? {})).toEqual(
          expect.arrayContaining(['build', 'typecheck', 'lint', 'test', 'check-package']),
        );
        expect(manifest.scripts?.['check-package']).toContain('publint --strict');
        expect(manifest.scripts?.['check-package']).toContain('attw');
      });

      it('has a README with a runnable example that imports the package', () => {
        const readme = readFileSync(join(absolute, 'README.md'), 'utf8');
        const examples = [...readme.matchAll(/```(?:ts|typescript|js)\n([\s\S]*?)```/g)].map(
          (match) => match[1] ?? '',
        );
        expect(examples.some((example) => example.includes(`from '${manifest.name}'`))).toBe(true);
      });

      if (manifest.name !== '@cairn/kernel') {
        it('takes @cairn/kernel as a peer dependency, never a direct one', () => {
          expect(manifest.peerDependencies?.['@cairn/kernel']).toBe('workspace:>=0.1.0 <1.0.0');
          expect(manifest.dependencies?.['@cairn/kernel']).toBeUndefined();
          expect(manifest.devDependencies?.['@cairn/kernel']).toBe('workspace:*');
        });
      }
    },
  );
});
