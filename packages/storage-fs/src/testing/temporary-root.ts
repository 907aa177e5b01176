import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { afterEach } from 'vitest';

const created: string[] = [];

/**
 * A fresh folder in the system's temporary directory, removed after the current test.
 * Register by calling it inside a test (or a hook) of a file that imports this module.
 */
export async function temporaryRoot(label = 'cairn-fs-test-'): Promise<string> {
  const directory = await mkdtemp(join(tmpdir(), label));
  created.push(directory);
  return directory;
}

afterEach(async () => {
  for (const directory of created.splice(0)) {
    await rm(directory, { recursive: true, force: true });
  }
});

/** Every file below `directory` (not folders), as sorted "/"-separated relative paths. */
export async function filesBelow(directory: string): Promise<string[]> {
  const entries = await readdir(directory, { recursive: true, withFileTypes: true });
  return entries
    .filter((entry) => !entry.isDirectory())
    .map((entry) => relative(directory, join(entry.parentPath, entry.name)).split('\\').join('/'))
    .sort();
}

/** Every folder below `directory`, as sorted "/"-separated relative paths. */
export async function foldersBelow(directory: string): Promise<string[]> {
  const entries = await readdir(directory, { recursive: true, withFileTypes: true });
  return entries
    .filter((entry) => entry.isDirectory())
    .map((entry) => relative(directory, join(entry.parentPath, entry.name)).split('\\').join('/'))
    .sort();
}
