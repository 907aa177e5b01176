import type { Readable } from 'node:stream';
import type { JsonValue } from '../checkpoints/json-value.js';
import type { ArtifactContext } from './artifact-context.js';
import type { ManifestEntry } from './artifact-manifest.js';
import { readAddedMetadata } from './artifact-metadata.js';
import {
  downloadArtifact,
  openArtifactFile,
  readArtifactValue,
  readManifest,
} from './artifact-read.js';
import type { ArtifactSource } from './artifact-records.js';
import type { VersionRecord } from './artifact-versions.js';

/** One artifact version, as `use` and `get` return it: its facts and ways to read its content. */
export interface ArtifactVersion {
  /** The artifact name. */
  readonly name: string;
  /** The version number. */
  readonly version: number;
  /** `name:v<n>`. */
  readonly reference: string;
  /** The artifact type. */
  readonly type: string;
  /** The content digest, `sha256:<hex>`. */
  readonly digest: string;
  /** How the content was given. */
  readonly source: ArtifactSource;
  /** Entries in the manifest. */
  readonly files: number;
  /** Total bytes. */
  readonly size: number;
  /** The external object, for a version that references one. */
  readonly uri?: string;
  /** When it was logged. */
  readonly createdAt: string;
  /** The run that logged it. */
  readonly run?: string;
  /** Versions given as parents (`name:v<n>`). */
  readonly parents: readonly string[];
  /** What the logging run had used (`name:v<n>`). */
  readonly inputs: readonly string[];
  /** Metadata given when logged, with what was added since merged over it. */
  readonly metadata: { readonly [key: string]: JsonValue };
  /** The manifest: each file's path, SHA-256 and size (or a reference's URI, etag, size). */
  manifest(): Promise<readonly ManifestEntry[]>;
  /**
   * One file's bytes as a stream, verified while read: it errors with `CORRUPT_DATA` instead
   * of ending when the bytes are not the manifest's. `path` may be left out when there is one
   * file.
   */
  open(path?: string): Promise<Readable>;
  /** The JSON value of a version logged with `{ value }`. */
  value<Value = unknown>(): Promise<Value>;
  /**
   * Writes the files below `directory` (each appears whole or not at all); returns their paths
   * and the references, which were not copied.
   */
  download(
    directory: string,
  ): Promise<{ readonly files: readonly string[]; readonly references: readonly ManifestEntry[] }>;
}

/** Wraps a record in an {@link ArtifactVersion}. */
export async function toArtifactVersion(
  context: ArtifactContext,
  record: VersionRecord,
  signal?: AbortSignal,
): Promise<ArtifactVersion> {
  const added = await readAddedMetadata(context, record.name, record.version, signal);
  let manifest: Promise<readonly ManifestEntry[]> | undefined;
  const entries = () => {
    manifest ??= readManifest(context, record, signal);
    // A failed read is not cached: the next call tries again.
    manifest.catch(() => {
      manifest = undefined;
    });
    return manifest;
  };
  return {
    name: record.name,
    version: record.version,
    reference: `${record.name}:v${record.version}`,
    type: record.type,
    digest: record.digest,
    source: record.source,
    files: record.files,
    size: record.size,
    ...(record.uri === undefined ? {} : { uri: record.uri }),
    createdAt: record.createdAt,
    ...(record.run === undefined ? {} : { run: record.run }),
    parents: record.parents,
    inputs: record.inputs,
    metadata: { ...record.metadata, ...added } as ArtifactVersion['metadata'],
    manifest: entries,
    open: async (path) => openArtifactFile(context, record, await entries(), path, signal),
    value: async <Value>() =>
      (await readArtifactValue(context, record, await entries(), signal)) as Value,
    download: async (directory) =>
      downloadArtifact(context, record, await entries(), directory, signal),
  };
}
