import { createHash } from 'node:crypto';

/**
 * One entry of a manifest: a file (a path inside the artifact, its SHA-256 and size), or a
 * reference to an object outside Cairn (its URI, etag and size, never copied).
 */
export type ManifestEntry =
  | {
      /** Path inside the artifact, `/`-separated, no `.`/`..` segments. */
      readonly path: string;
      /** SHA-256 of the file's bytes, hex. */
      readonly sha256: string;
      /** Size in bytes. */
      readonly size: number;
    }
  | {
      /** Path inside the artifact. */
      readonly path: string;
      /** Where the object is, e.g. `s3://bucket/key`. */
      readonly uri: string;
      /** The object's etag as its store reported it: identity of that exact object version. */
      readonly etag: string;
      /** Size in bytes. */
      readonly size: number;
    };

/** The manifest format; part of the digest, so a later format never collides with this one. */
export const manifestFormat = 'cairn.manifest/v1';

/** A manifest: what an artifact version holds. */
export interface ArtifactManifest {
  /** {@link manifestFormat}. */
  readonly format: typeof manifestFormat;
  /** Entries sorted by path (code-unit order), each path once. */
  readonly entries: readonly ManifestEntry[];
}

/** Compares paths by UTF-16 code units: the same order in every locale and runtime. */
export function comparePaths(left: string, right: string): number {
  return left < right ? -1 : left > right ? 1 : 0;
}

/** A manifest of `entries`, sorted. Duplicate paths are the caller's error. */
export function createManifest(entries: readonly ManifestEntry[]): ArtifactManifest {
  return {
    format: manifestFormat,
    entries: [...entries].sort((left, right) => comparePaths(left.path, right.path)),
  };
}

/**
 * The canonical bytes of a manifest: JSON with fixed key order, one line. The artifact's
 * identity is the SHA-256 of these bytes, so two loggers of the same content anywhere compute
 * the same digest.
 */
export function canonicalManifest(manifest: ArtifactManifest): string {
  const entries = manifest.entries.map((entry) =>
    'sha256' in entry
      ? { path: entry.path, sha256: entry.sha256, size: entry.size }
      : { path: entry.path, uri: entry.uri, etag: entry.etag, size: entry.size },
  );
  return JSON.stringify({ format: manifest.format, entries });
}

/** The content digest of a manifest, `sha256:<hex>`. */
export function manifestDigest(manifest: ArtifactManifest): string {
  return `sha256:${createHash('sha256').update(canonicalManifest(manifest)).digest('hex')}`;
}
