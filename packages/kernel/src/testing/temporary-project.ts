import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach } from 'vitest';

/** How {@link temporaryProjects} lays out each project. */
export interface TemporaryProjectOptions {
  /**
   * Links the kernel's own `zod` into the project's `node_modules`, so plugin modules written
   * into the project import the real thing (default false).
   */
  readonly linkZod?: boolean;
}

/** Creates one project directory holding `files` (relative path → content); returns its path. */
export type CreateProject = (files?: Readonly<Record<string, string>>) => Promise<string>;

const zodDirectory = path.dirname(createRequire(import.meta.url).resolve('zod/package.json'));

/**
 * Project directories on real disk for the tests of one file: each call of the returned
 * function makes a fresh directory under the OS temp folder, and every directory is removed
 * after each test. Call it once at the top level of a test file (it registers `afterEach`).
 *
 * @param prefix - names the directories (`cairn-load-config-…`), so a leftover says whose it is.
 */
export function temporaryProjects(
  prefix: string,
  options: TemporaryProjectOptions = {},
): CreateProject {
  const directories: string[] = [];
  afterEach(async () => {
    await Promise.all(
      directories.splice(0).map((directory) => rm(directory, { recursive: true, force: true })),
    );
  });
  return async (files = {}) => {
    const directory = await mkdtemp(path.join(tmpdir(), `${prefix}-`));
    directories.push(directory);
    if (options.linkZod) {
      await mkdir(path.join(directory, 'node_modules'), { recursive: true });
      await symlink(zodDirectory, path.join(directory, 'node_modules', 'zod'), 'dir');
    }
    for (const [name, content] of Object.entries(files)) {
      await mkdir(path.dirname(path.join(directory, name)), { recursive: true });
      await writeFile(path.join(directory, name), content);
    }
    return directory;
  };
}
