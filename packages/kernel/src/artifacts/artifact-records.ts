import { z } from 'zod';
import { CairnError } from '../errors/cairn-error.js';

const timestamp = z.string().datetime({ offset: true });
const nodeReference = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.-]*:v[1-9]\d*$/);
const jsonObject = z.record(z.string(), z.unknown());

/** How a version's content was given. */
export const artifactSources = ['value', 'file', 'directory', 'reference'] as const;
/** How a version's content was given. */
export type ArtifactSource = (typeof artifactSources)[number];

/**
 * A version's record (`artifacts/<name>/v<n>`), created once and never changed (its number is
 * in its key: the record is written before the race for a number is won): what the version holds (its manifest, stored as a blob whose SHA-256 is the content digest), who made
 * it and from what.
 */
export const artifactVersionRecordSchema = z.object({
  /** Format tag and version. */
  format: z.literal('cairn.artifact/v1'),
  /** The artifact name. */
  name: z.string(),
  /** The artifact type. */
  type: z.string(),
  /** The content digest, `sha256:<hex>` of the canonical manifest. */
  digest: z.string().regex(/^sha256:[0-9a-f]{64}$/),
  /** How the content was given. */
  source: z.enum(artifactSources),
  /** Entries in the manifest. */
  files: z.number().int().nonnegative(),
  /** Total bytes of the entries. */
  size: z.number().int().nonnegative(),
  /** The reference's URI, for a version that points at one external object. */
  uri: z.string().optional(),
  /** When it was logged. */
  createdAt: timestamp,
  /** The run that logged it. */
  run: z.string().optional(),
  /** Versions it was made from, given by the logger (`name:v<n>`). */
  parents: z.array(nodeReference),
  /** What the logging run had used when it logged this version (`name:v<n>`). */
  inputs: z.array(nodeReference),
  /** Metadata given when it was logged. */
  metadata: jsonObject,
  /** The token of the logger's digest claim: recognises a version whose claim was not settled. */
  writer: z.string(),
});
/** A version's record. */
export type ArtifactVersionRecord = z.infer<typeof artifactVersionRecordSchema>;

/** An alias (`artifacts/<name>/aliases/<alias>.json`), moved by compare-and-swap. */
export const artifactAliasRecordSchema = z.object({
  format: z.literal('cairn.artifact-alias/v1'),
  name: z.string(),
  alias: z.string(),
  version: z.number().int().positive(),
  movedAt: timestamp,
  run: z.string().optional(),
});
/** An alias record. */
export type ArtifactAliasRecord = z.infer<typeof artifactAliasRecordSchema>;

/**
 * A digest claim (`artifacts/<name>/digests/<hex>.json`): the version number the content is to
 * get (`intent`), so every logger of the same content creates that one version (see
 * `commitVersion`). Moved by compare-and-swap when other content took the number first.
 */
export const artifactDigestClaimSchema = z.object({
  /** Format tag and version. */
  format: z.literal('cairn.artifact-digest/v1'),
  /** The content digest, `sha256:<hex>`. */
  digest: z.string(),
  /** The version number the content is to get. */
  intent: z.number().int().positive(),
  /** The writer token of the logger that set the intent (for diagnosis). */
  writer: z.string(),
  /** When the intent was set. */
  claimedAt: timestamp,
});
/** A digest claim. */
export type ArtifactDigestClaim = z.infer<typeof artifactDigestClaimSchema>;

/** Metadata added to a version after it was logged (`artifacts/<name>/metadata/<n>.json`). */
export const artifactAddedMetadataSchema = z.object({
  format: z.literal('cairn.artifact-metadata/v1'),
  metadata: jsonObject,
  updatedAt: timestamp,
});
/** Metadata added to a version. */
export type ArtifactAddedMetadata = z.infer<typeof artifactAddedMetadataSchema>;

/** An edge record: a run used or logged a version, or a version was made from another. */
export const artifactEdgeRecordSchema = z.object({
  format: z.literal('cairn.artifact-edge/v1'),
  /** `used`, `logged` or `child`. */
  kind: z.enum(['used', 'logged', 'child']),
  /** The run, for `used` and `logged`. */
  run: z.string().optional(),
  /** The version the edge is about (`name:v<n>`); for `child`, the child. */
  artifact: nodeReference,
  at: timestamp,
});
/** An edge record. */
export type ArtifactEdgeRecord = z.infer<typeof artifactEdgeRecordSchema>;

/** The manifest as stored in its blob. */
export const storedManifestSchema = z.object({
  format: z.literal('cairn.manifest/v1'),
  entries: z.array(
    z.union([
      z.object({ path: z.string(), sha256: z.string(), size: z.number().int().nonnegative() }),
      z.object({
        path: z.string(),
        uri: z.string(),
        etag: z.string(),
        size: z.number().int().nonnegative(),
      }),
    ]),
  ),
});

/**
 * Parses a stored record with its schema.
 * @throws CairnError `CORRUPT_DATA` naming the key and the first problem.
 */
export function parseArtifactRecord<Schema extends z.ZodType>(
  schema: Schema,
  text: string,
  key: string,
): z.output<Schema> {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw corruptRecord(key, `it is not JSON (${(error as Error).message})`, error);
  }
  const parsed = schema.safeParse(json);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  throw corruptRecord(
    key,
    `${issue?.path.join('.') || '(root)'}: ${issue?.message ?? 'does not match its schema'}`,
    parsed.error,
  );
}

function corruptRecord(key: string, problem: string, cause: unknown): CairnError {
  return new CairnError({
    code: 'CORRUPT_DATA',
    backend: 'artifacts',
    message: `The artifact record "${key}" is damaged: ${problem}. Restore it from a backup; Cairn does not rewrite artifact records.`,
    cause,
    details: { key },
  });
}
