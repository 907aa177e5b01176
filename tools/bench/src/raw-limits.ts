import { spawn } from 'node:child_process';
import { createReadStream, createWriteStream } from 'node:fs';
import { lstat, open, readdir, rename } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { type Digest, digestOf } from '@cairn/kernel';

/** Flushes a folder's entries, as a durable rename needs. */
export async function syncDirectory(directory: string): Promise<void> {
  const handle = await open(directory, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/**
 * The least an atomic write can do with plain `node:fs`: write a temporary file beside the
 * target, rename it over the target, and, when durable, flush the file before the rename
 * and the folder after it. No digest, no metadata, no lock.
 */
export async function writeFileAtomically(
  target: string,
  bytes: Uint8Array,
  durable: boolean,
): Promise<void> {
  const temporary = `${target}.tmp`;
  const handle = await open(temporary, 'wx');
  try {
    await handle.writeFile(bytes);
    if (durable) await handle.sync();
  } finally {
    await handle.close();
  }
  await rename(temporary, target);
  if (durable) await syncDirectory(dirname(target));
}

/**
 * The least a durable streamed write can do: pipe into a file stream that flushes the file
 * before closing it. Not atomic (a reader can see part of it) and no digest.
 */
export async function streamToFile(source: Readable, target: string): Promise<void> {
  await pipeline(source, createWriteStream(target, { flags: 'wx', flush: true }));
}

/** Reads a file to its end through a read stream, hashing it as a verifying caller would. */
export function readFileDigest(path: string): Promise<Digest> {
  return digestOf(createReadStream(path));
}

/** Files `lstat`ed at once: as many as the fs storage's listing inspects at once. */
const statConcurrency = 16;

/**
 * Every file below `root`, as `/`-separated paths relative to it, in sorted order: the least
 * work a listing of keys in nested folders can do. With `stat`, each file is also `lstat`ed,
 * since a listing reports sizes and times.
 */
export async function listFilesSorted(root: string, stat: boolean): Promise<string[]> {
  const entries = await readdir(root, { recursive: true, withFileTypes: true });
  const paths = entries
    .filter((entry) => entry.isFile())
    .map((entry) => join(entry.parentPath, entry.name));
  if (stat) {
    let next = 0;
    const worker = async () => {
      while (next < paths.length) await lstat(paths[next++] as string);
    };
    await Promise.all(Array.from({ length: statConcurrency }, worker));
  }
  return paths.map((path) => path.slice(root.length + 1)).sort();
}

/**
 * The shell's way to store and verify a file: `cat source > target && sha256sum target`, two
 * spawned processes, with `sync target` (an `fsync` of the file) between them when `durable`.
 *
 * @returns the hex SHA-256 that `sha256sum` printed.
 * @throws Error with the shell's stderr when the pipeline fails.
 */
export function catThenSha256sum(
  source: string,
  target: string,
  durable: boolean,
): Promise<string> {
  const script = durable
    ? 'cat "$1" > "$2" && sync "$2" && sha256sum "$2"'
    : 'cat "$1" > "$2" && sha256sum "$2"';
  return new Promise((resolve, reject) => {
    // Paths go in as positional parameters, never spliced into the script.
    const child = spawn('sh', ['-c', script, 'raw-pipeline', source, target], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    let errors = '';
    child.stdout.setEncoding('utf8').on('data', (text: string) => {
      output += text;
    });
    child.stderr.setEncoding('utf8').on('data', (text: string) => {
      errors += text;
    });
    child.on('error', reject);
    child.on('close', (code) => {
      const digest = /^[0-9a-f]{64}/.exec(output)?.[0];
      if (code === 0 && digest !== undefined) resolve(digest);
      else reject(new Error(`"${script}" exited with ${code}: ${errors.trim() || output.trim()}`));
    });
  });
}
