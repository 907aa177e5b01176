import { createHash, type Hash, randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, rename, rm } from 'node:fs/promises';
import { dirname, join, resolve, sep } from 'node:path';
import {
  pipeline as pipelineCallback,
  type Readable,
  Transform,
  type TransformCallback,
} from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { CairnError } from '../errors/cairn-error.js';
import { readAll } from '../storage/body.js';
import type { ArtifactContext } from './artifact-context.js';
import { blobKey } from './artifact-layout.js';
import type { ManifestEntry } from './artifact-manifest.js';
import { parseArtifactRecord, storedManifestSchema } from './artifact-records.js';
import type { VersionRecord } from './artifact-versions.js';

/**
 * Passes a blob through while hashing it; fails at the end, instead of ending, when its size or
 * SHA-256 is not the manifest's. A reader that waits for `end` never accepts damaged bytes.
 */
class BlobVerifier extends Transform {
  private readonly hash: Hash = createHash('sha256');
  private size = 0;

  constructor(
    private readonly entry: { readonly sha256: string; readonly size: number },
    private readonly what: string,
  ) {
    super();
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, done: TransformCallback): void {
    this.size += chunk.length;
    this.hash.update(chunk);
    done(null, chunk);
  }

  override _flush(done: TransformCallback): void {
    const sha256 = this.hash.digest('hex');
    if (sha256 === this.entry.sha256 && this.size === this.entry.size) {
      done();
      return;
    }
    done(
      new CairnError({
        code: 'CORRUPT_DATA',
        backend: 'artifacts',
        message: `${this.what} is damaged in storage: ${this.size} bytes with SHA-256 ${sha256}, not the ${this.entry.size} bytes with SHA-256 ${this.entry.sha256} its manifest records. Restore it from a backup (a mirrored storage repairs it by itself).`,
        details: { expected: this.entry, actual: { sha256, size: this.size } },
      }),
    );
  }
}

/** The manifest of a version: its files (or references), sorted by path. */
export async function readManifest(
  context: ArtifactContext,
  record: VersionRecord,
  signal?: AbortSignal,
): Promise<readonly ManifestEntry[]> {
  const hex = record.digest.slice('sha256:'.length);
  const key = blobKey(hex);
  const bytes = await readAll(
    (await context.storage.get(key, signal === undefined ? {} : { signal })).body,
  );
  const actual = createHash('sha256').update(bytes).digest('hex');
  if (actual !== hex) {
    throw new CairnError({
      code: 'CORRUPT_DATA',
      backend: 'artifacts',
      message: `The manifest of "${record.name}:v${record.version}" is damaged (SHA-256 ${actual}, not its digest ${hex}). Restore "${key}" from a backup.`,
      details: { key },
    });
  }
  return parseArtifactRecord(storedManifestSchema, bytes.toString('utf8'), key).entries;
}

/**
 * Opens one file of a version as a stream, verified as it is read (see {@link BlobVerifier}).
 * @throws CairnError `NOT_FOUND` for a path the manifest lacks (listing what it has);
 *   `INVALID_OPTIONS` for a reference, whose bytes live outside Cairn.
 */
export async function openArtifactFile(
  context: ArtifactContext,
  record: VersionRecord,
  entries: readonly ManifestEntry[],
  path: string | undefined,
  signal?: AbortSignal,
): Promise<Readable> {
  const reference = `${record.name}:v${record.version}`;
  const entry =
    path === undefined && entries.length === 1
      ? entries[0]
      : entries.find((candidate) => candidate.path === path);
  if (entry === undefined) {
    throw new CairnError({
      code: 'NOT_FOUND',
      backend: 'artifacts',
      message: `${path === undefined ? `"${reference}" holds ${entries.length} files; say which to open` : `"${reference}" has no file "${path}"`}. Its files: ${entries
        .slice(0, 10)
        .map((candidate) => candidate.path)
        .join(', ')}${entries.length > 10 ? ', …' : ''}.`,
      details: { reference, path },
    });
  }
  if (!('sha256' in entry)) {
    throw new CairnError({
      code: 'INVALID_OPTIONS',
      backend: 'artifacts',
      message: `"${reference}" file "${entry.path}" is a reference to ${entry.uri} (etag ${entry.etag}); Cairn did not copy it. Read it from there.`,
      details: { reference, uri: entry.uri },
    });
  }
  const { body } = await context.storage.get(
    blobKey(entry.sha256),
    signal === undefined ? {} : { signal },
  );
  const verifier = new BlobVerifier(entry, `"${reference}" file "${entry.path}"`);
  // pipeline, not pipe: a reader that stops early destroys the storage stream too (no socket
  // or file handle left open), and a storage error reaches the reader.
  pipelineCallback(body, verifier, () => undefined);
  return verifier;
}

/**
 * Writes every stored file of a version below `directory`, each verified and made visible by
 * rename only when whole. References are skipped (returned), since their bytes are elsewhere.
 */
export async function downloadArtifact(
  context: ArtifactContext,
  record: VersionRecord,
  entries: readonly ManifestEntry[],
  directory: string,
  signal?: AbortSignal,
): Promise<{ readonly files: readonly string[]; readonly references: readonly ManifestEntry[] }> {
  const root = resolve(directory);
  const files: string[] = [];
  const references: ManifestEntry[] = [];
  for (const entry of entries) {
    if (!('sha256' in entry)) {
      references.push(entry);
      continue;
    }
    const target = resolve(root, ...entry.path.split('/'));
    // A manifest path never leaves the directory, whatever a damaged record says.
    if (!target.startsWith(root + sep)) {
      throw new CairnError({
        code: 'CORRUPT_DATA',
        backend: 'artifacts',
        message: `"${record.name}:v${record.version}" lists the path "${entry.path}", which leaves the download directory; nothing more was written.`,
      });
    }
    await mkdir(dirname(target), { recursive: true });
    const partial = join(dirname(target), `.${randomBytes(8).toString('hex')}.cairn-partial`);
    try {
      await pipeline(
        await openArtifactFile(context, record, entries, entry.path, signal),
        createWriteStream(partial),
        ...(signal === undefined ? [] : [{ signal }]),
      );
      await rename(partial, target);
    } catch (error) {
      await rm(partial, { force: true });
      throw error;
    }
    files.push(target);
  }
  return { files, references };
}

/** The value of a version logged with `{ value }`. */
export async function readArtifactValue(
  context: ArtifactContext,
  record: VersionRecord,
  entries: readonly ManifestEntry[],
  signal?: AbortSignal,
): Promise<unknown> {
  if (record.source !== 'value') {
    throw new CairnError({
      code: 'INVALID_OPTIONS',
      backend: 'artifacts',
      message: `"${record.name}:v${record.version}" was logged from a ${record.source}, not a value; open its files instead.`,
    });
  }
  const bytes = await readAll(
    await openArtifactFile(context, record, entries, 'value.json', signal),
  );
  return JSON.parse(bytes.toString('utf8'));
}
