import type { Dirent } from 'node:fs';
import { readdir, realpath, stat } from 'node:fs/promises';
import { basename, join, relative, sep } from 'node:path';
import { findJsonProblem } from '../checkpoints/json-value.js';
import { CairnError } from '../errors/cairn-error.js';
import { runBounded } from '../items/bounded-concurrency.js';
import { canonicalJson } from '../items/item-digest.js';
import type { Storage } from '../storage/storage.js';
import { storeBytesBlob, storeFileBlob } from './artifact-blobs.js';
import {
  type ArtifactManifest,
  comparePaths,
  createManifest,
  type ManifestEntry,
} from './artifact-manifest.js';
import type { ArtifactSource } from './artifact-records.js';

/** An external object an artifact points at instead of copying it. */
export interface ArtifactReference {
  /** Where it is, e.g. `s3://bucket/data/train.parquet`. */
  readonly uri: string;
  /** Its etag (or version id): identity of that exact object; a changed object is new content. */
  readonly etag: string;
  /** Its size in bytes. */
  readonly size: number;
  /** Path inside the artifact; default the last segment of the URI. */
  readonly path?: string;
}

/** What an artifact version holds: exactly one of these. */
export type ArtifactContent =
  | {
      /** A JSON value, stored as `value.json` with its object keys sorted. */
      readonly value: unknown;
    }
  | {
      /** A file, streamed into storage; stored under its base name. */
      readonly file: string;
    }
  | {
      /** A directory: every file below it, streamed, as a manifest of `path → sha256`. */
      readonly directory: string;
    }
  | {
      /** One or more external objects, recorded with their etag and size, not copied. */
      readonly reference: ArtifactReference | readonly ArtifactReference[];
    };

/** Content stored and described. */
export interface PreparedContent {
  /** Which kind of content it was given as. */
  readonly source: ArtifactSource;
  /** What it holds, sorted by path. */
  readonly manifest: ArtifactManifest;
  /** The one external object it points at, when it is a single reference. */
  readonly uri?: string;
}

/** Files stored at once while logging a directory: enough to overlap I/O, few open handles. */
const directoryConcurrency = 4;

/** An `INVALID_OPTIONS` error of the artifacts backend. */
export function invalidArtifactOptions(
  message: string,
  details?: Record<string, unknown>,
): CairnError {
  return new CairnError({
    code: 'INVALID_OPTIONS',
    backend: 'artifacts',
    message,
    ...(details === undefined ? {} : { details }),
  });
}

/** Which of the content fields are given; exactly one must be. */
function sourceOf(content: ArtifactContent): ArtifactSource {
  const given = (['value', 'file', 'directory', 'reference'] as const).filter(
    (field) => typeof content === 'object' && content !== null && field in content,
  );
  if (given.length === 1) return given[0] as ArtifactSource;
  throw invalidArtifactOptions(
    `An artifact needs exactly one of value, file, directory or reference; ${given.length === 0 ? 'none was given' : `got ${given.join(' and ')}`}.`,
  );
}

/**
 * Stores the content's bytes as blobs (nothing for references) and returns its manifest. Blobs
 * are content-addressed, so storing content that is already there writes nothing.
 *
 * @throws CairnError `INVALID_OPTIONS` for content that is not one of the four kinds or is
 *   malformed; `NOT_FOUND` for a missing file or directory; `CORRUPT_DATA` when a file changes
 *   while being stored.
 */
export async function prepareContent(
  storage: Storage,
  content: ArtifactContent,
  signal?: AbortSignal,
): Promise<PreparedContent> {
  const source = sourceOf(content);
  switch (source) {
    case 'value': {
      const value = (content as { value: unknown }).value;
      const problem = findJsonProblem(value, 'value');
      if (problem !== undefined) {
        throw invalidArtifactOptions(
          `The artifact value cannot be stored as JSON: ${problem}. Convert it to plain JSON, or log it as a file.`,
        );
      }
      const blob = await storeBytesBlob(
        storage,
        Buffer.from(canonicalJson(value), 'utf8'),
        'application/json',
        signal,
      );
      return { source, manifest: createManifest([{ path: 'value.json', ...blob }]) };
    }
    case 'file': {
      const file = (content as { file: string }).file;
      await requireKind(file, 'file');
      const blob = await storeFileBlob(storage, file, signal);
      return { source, manifest: createManifest([{ path: basename(file), ...blob }]) };
    }
    case 'directory': {
      const directory = (content as { directory: string }).directory;
      await requireKind(directory, 'directory');
      const files = await listFiles(directory);
      if (files.length === 0) {
        throw invalidArtifactOptions(
          `The directory "${directory}" holds no files; an artifact needs at least one. Check the path.`,
          { directory },
        );
      }
      const collisions = files.length - new Set(files.map((file) => file.normalize('NFC'))).size;
      if (collisions > 0) {
        throw invalidArtifactOptions(
          `The directory "${directory}" holds ${collisions} file name(s) that differ only in Unicode normalisation (NFC vs NFD); one artifact path cannot hold both. Rename them.`,
          { directory },
        );
      }
      const entries: ManifestEntry[] = new Array(files.length);
      await runBounded(files.length, directoryConcurrency, async (position) => {
        const file = files[position] as string;
        entries[position] = {
          // NFC: the same name typed on macOS (NFD) and Linux is the same path, the same digest.
          path: relative(directory, file).split(sep).join('/').normalize('NFC'),
          ...(await storeFileBlob(storage, file, signal)),
        };
      });
      return { source, manifest: createManifest(entries) };
    }
    case 'reference': {
      const given = (content as { reference: ArtifactReference | readonly ArtifactReference[] })
        .reference;
      const references = Array.isArray(given) ? given : [given as ArtifactReference];
      if (references.length === 0)
        throw invalidArtifactOptions('An artifact reference list is empty.');
      const entries: ManifestEntry[] = references.map(checkReference);
      const paths = new Set(entries.map((entry) => entry.path));
      if (paths.size !== entries.length) {
        throw invalidArtifactOptions(
          'Two artifact references have the same path; give each a distinct "path".',
        );
      }
      const manifest = createManifest(entries);
      return {
        source,
        manifest,
        ...(entries.length === 1 && 'uri' in (entries[0] as ManifestEntry)
          ? { uri: (entries[0] as { uri: string }).uri }
          : {}),
      };
    }
  }
}

/**
 * The URI of a reference without what must never be stored: credentials are refused, and the
 * query and fragment (a presigned URL's signature, a token) are dropped — the object is named
 * by its scheme, host and path, its version by the etag.
 */
function storableUri(uri: unknown): string {
  let parsed: URL | undefined;
  try {
    parsed =
      typeof uri === 'string' && /^[a-z][a-z0-9+.-]*:\/\/\S+$/i.test(uri)
        ? new URL(uri)
        : undefined;
  } catch {
    parsed = undefined;
  }
  if (parsed === undefined) {
    throw invalidArtifactOptions(
      'An artifact reference URI is not a URI; give one like "s3://bucket/data/train.parquet".',
    );
  }
  if (parsed.username !== '' || parsed.password !== '') {
    throw invalidArtifactOptions(
      `The reference to ${parsed.protocol}//${parsed.host}${parsed.pathname} holds credentials in its URI; give the URI without them (credentials belong in the storage configuration, never in records).`,
    );
  }
  return `${parsed.protocol}//${parsed.host}${parsed.pathname}`;
}

function checkReference(reference: ArtifactReference): ManifestEntry {
  const { etag, size } = reference ?? ({} as ArtifactReference);
  const uri = storableUri(reference?.uri);
  if (typeof etag !== 'string' || etag === '') {
    throw invalidArtifactOptions(
      `The reference to "${uri}" has no etag; give the object's etag (or version id) so a changed object is told apart.`,
    );
  }
  if (!Number.isSafeInteger(size) || size < 0) {
    throw invalidArtifactOptions(
      `The reference to "${uri}" has size ${String(size)}; give its size in bytes (a whole number).`,
    );
  }
  const path = (reference.path ?? uri.replace(/\/+$/, '').split('/').pop() ?? uri).normalize('NFC');
  if (path === '' || path.split('/').some((part) => part === '' || part === '.' || part === '..')) {
    throw invalidArtifactOptions(
      `The reference to "${uri}" has the path ${JSON.stringify(path)}; give a relative path without empty, "." or ".." parts.`,
    );
  }
  return { path, uri, etag: etag.replace(/^"|"$/g, ''), size };
}

async function requireKind(path: string, kind: 'file' | 'directory'): Promise<void> {
  if (typeof path !== 'string' || path === '') {
    throw invalidArtifactOptions(`The artifact ${kind} path is empty; give the path of a ${kind}.`);
  }
  let stats: Awaited<ReturnType<typeof stat>>;
  try {
    stats = await stat(path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new CairnError({
      code: code === 'ENOENT' ? 'NOT_FOUND' : 'PERMANENT_IO',
      backend: 'artifacts',
      message: `Cannot log "${path}": ${code === 'ENOENT' ? 'it does not exist' : (code ?? String(error))}. Check the path.`,
      cause: error,
      details: { path },
    });
  }
  const isKind = kind === 'file' ? stats.isFile() : stats.isDirectory();
  if (!isKind) {
    throw invalidArtifactOptions(
      `"${path}" is not a ${kind}; log a ${kind === 'file' ? 'directory with { directory }' : 'file with { file }'} instead.`,
      { path },
    );
  }
}

/**
 * Every regular file below `directory`, sorted. Symbolic links are followed (model snapshots
 * keep their weights as links into a blob folder), each folder once by its real path, so a
 * link loop ends; a link that leads nowhere is an error naming it.
 */
async function listFiles(directory: string): Promise<string[]> {
  const files: string[] = [];
  const visited = new Set<string>();
  const pending = [directory];
  while (pending.length > 0) {
    const folder = pending.pop() as string;
    const real = await realpath(folder);
    if (visited.has(real)) continue;
    visited.add(real);
    let entries: Dirent[];
    try {
      entries = await readdir(folder, { withFileTypes: true, encoding: 'utf8' });
    } catch (error) {
      throw unreadable(folder, error);
    }
    for (const entry of entries) {
      const path = join(folder, entry.name);
      const kind = entry.isSymbolicLink() ? await targetKind(path) : entry;
      if (kind.isDirectory()) pending.push(path);
      else if (kind.isFile()) files.push(path);
    }
  }
  return files.sort(comparePaths);
}

async function targetKind(link: string) {
  try {
    return await stat(link);
  } catch (error) {
    throw unreadable(link, error);
  }
}

function unreadable(path: string, error: unknown): CairnError {
  const code = (error as NodeJS.ErrnoException).code;
  return new CairnError({
    code: code === 'ENOENT' ? 'NOT_FOUND' : 'PERMANENT_IO',
    backend: 'artifacts',
    message: `Cannot read "${path}" while logging a directory (${code === 'ENOENT' ? 'a link that leads nowhere' : (code ?? String(error))}); nothing was logged. Fix or remove it.`,
    cause: error,
    details: { path },
  });
}
