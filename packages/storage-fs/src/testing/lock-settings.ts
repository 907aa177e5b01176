import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { nodeFileSystem } from '../file-system.js';
import { type KeyLockSettings, lockPathOf } from '../key-lock.js';
import { temporaryRoot } from './temporary-root.js';

/** Lock settings on a fresh temporary folder, generous by default, with `overrides` applied. */
export async function makeLockSettings(
  overrides: Partial<KeyLockSettings> = {},
): Promise<KeyLockSettings> {
  return {
    fileSystem: nodeFileSystem,
    lockDirectory: join(await temporaryRoot(), 'locks'),
    timeoutMs: 5_000,
    staleAfterMs: 60_000,
    ...overrides,
  };
}

/** Writes a lock file for `key` by hand, as another process would have; returns its path. */
export async function writeLock(settings: KeyLockSettings, key: string, content: string) {
  await mkdir(settings.lockDirectory, { recursive: true });
  const path = lockPathOf(settings.lockDirectory, key);
  await writeFile(path, content);
  return path;
}
