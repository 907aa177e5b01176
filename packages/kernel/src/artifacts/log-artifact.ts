import { findJsonProblem } from '../checkpoints/json-value.js';
import type { ArtifactType } from '../lineage/lineage-graph.js';
import { parseRunId } from '../naming/layout.js';
import { advanceLatest, moveAlias } from './artifact-aliases.js';
import { storeBytesBlob } from './artifact-blobs.js';
import {
  type ArtifactContent,
  invalidArtifactOptions,
  prepareContent,
} from './artifact-content.js';
import { type ArtifactContext, isoNow } from './artifact-context.js';
import { createRecordOnce } from './artifact-json.js';
import { artifactKeys, runArtifactKeys } from './artifact-layout.js';
import { canonicalManifest } from './artifact-manifest.js';
import { addArtifactMetadata } from './artifact-metadata.js';
import { checkArtifactName } from './artifact-naming.js';
import type { ArtifactEdgeRecord, ArtifactVersionRecord } from './artifact-records.js';
import { validateAliasName } from './artifact-reference.js';
import { resolveArtifactVersion, type VersionRecord } from './artifact-versions.js';
import { commitVersion, newWriterToken } from './digest-claim.js';
import { runInputs } from './run-edges.js';

/** What to log besides the content. */
export interface LogArtifactFields {
  /** The artifact name; checked against its type's naming convention. */
  readonly name: string;
  /** The type: dataset, model, checkpoint, evaluation, metrics, experience-buffer, config, report, or your own. */
  readonly type: ArtifactType;
  /**
   * Versions this one was made from, as references (`dataset-x`, `dataset-x:v2`, `model-a:best`),
   * resolved to exact versions when logging. A run's inputs are added by themselves.
   */
  readonly parents?: readonly string[];
  /** Aliases to point at the version (besides `latest`, which moves by itself). */
  readonly aliases?: readonly string[];
  /** Free-form JSON metadata (an object). */
  readonly metadata?: Readonly<Record<string, unknown>>;
  /** The run logging it (`<pipeline>/<time id>`): recorded with its inputs as parents. */
  readonly run?: string;
  /** Cancels the logging. */
  readonly signal?: AbortSignal;
}

/** Options for logging: the content (value, file, directory or reference) and the fields. */
export type LogArtifactOptions = ArtifactContent & LogArtifactFields;

/** An artifact version as logging left it. */
export interface LoggedArtifact {
  /** The artifact name. */
  readonly name: string;
  /** The version number. */
  readonly version: number;
  /** `name:v<n>`. */
  readonly reference: string;
  /** The content digest, `sha256:<hex>`. */
  readonly digest: string;
  /** False when identical content was logged before and that version was returned. */
  readonly created: boolean;
  /** The version's record (for an existing version, as it was first logged). */
  readonly record: VersionRecord;
}

/**
 * Checks metadata given to log or add: a plain JSON object.
 * @throws CairnError `INVALID_OPTIONS` naming the first part JSON cannot hold.
 */
export function checkMetadata(metadata: unknown): Record<string, unknown> {
  if (metadata === undefined) return {};
  if (typeof metadata !== 'object' || metadata === null || Array.isArray(metadata)) {
    throw invalidArtifactOptions('Artifact metadata must be a JSON object, e.g. { "rows": 5000 }.');
  }
  const problem = findJsonProblem(metadata, 'metadata');
  if (problem !== undefined) {
    throw invalidArtifactOptions(`Artifact metadata cannot be stored as JSON: ${problem}.`);
  }
  return metadata as Record<string, unknown>;
}

/**
 * Logs an artifact version: stores its content, and creates version `n+1` unless identical
 * content was logged before (then that version is returned, `created: false`). Steps, in an
 * order that leaves nothing half-visible: content blobs and the manifest (content-addressed,
 * harmless if orphaned) → the version record, created through the content's digest claim (the
 * commit; see `commitVersion`) → edges and `latest` (bookkeeping, redone by a later log of the
 * same content, logged when it fails) → the given aliases.
 *
 * @throws CairnError `INVALID_OPTIONS` (bad name, type, content, metadata, alias, run id);
 *   `NOT_FOUND` (a parent that does not exist, a missing file); `CORRUPT_DATA` (a file changed
 *   while logged, a storage that did not keep the bytes); `UNSUPPORTED` (a storage without
 *   conditional writes); `ABORTED`.
 */
export async function logArtifact(
  context: ArtifactContext,
  options: LogArtifactOptions,
): Promise<LoggedArtifact> {
  const { name, type, signal } = options;
  const warning = checkArtifactName(context.naming, name, type);
  if (warning !== undefined) context.logger.warn({ artifact: name, type }, warning);
  const metadata = checkMetadata(options.metadata);
  for (const alias of options.aliases ?? []) validateAliasName(alias);
  if (options.run !== undefined) parseRunId(options.run);
  const parents: string[] = [];
  for (const parent of options.parents ?? []) {
    const resolved = await resolveArtifactVersion(context, parent, signal);
    if (resolved.name === name) {
      throw invalidArtifactOptions(
        `Artifact "${name}" cannot be its own parent ("${parent}"); a new version of the same artifact follows the old one by number.`,
      );
    }
    parents.push(`${resolved.name}:v${resolved.version}`);
  }
  const inputs = options.run === undefined ? [] : await runInputs(context, options.run, signal);

  const content = await prepareContent(context.storage, options, signal);
  const manifestBlob = await storeBytesBlob(
    context.storage,
    Buffer.from(canonicalManifest(content.manifest), 'utf8'),
    'application/json',
    signal,
  );
  const digest = `sha256:${manifestBlob.sha256}`;
  const stored: ArtifactVersionRecord = {
    format: 'cairn.artifact/v1',
    name,
    type,
    digest,
    source: content.source,
    files: content.manifest.entries.length,
    size: content.manifest.entries.reduce((total, entry) => total + entry.size, 0),
    ...(content.uri === undefined ? {} : { uri: content.uri }),
    createdAt: isoNow(context),
    ...(options.run === undefined ? {} : { run: options.run }),
    parents: [...new Set(parents)].sort(),
    inputs,
    metadata,
    writer: newWriterToken(),
  };
  const committed = await commitVersion(context, stored, signal);

  let record: VersionRecord;
  if (committed.created) {
    record = { ...stored, version: committed.version };
  } else {
    record = await resolveArtifactVersion(context, `${name}:v${committed.version}`, signal);
    if (record.type !== type) {
      context.logger.warn(
        { artifact: name, version: record.version, type, existingType: record.type },
        'identical content was logged before with another type; the existing version keeps its type',
      );
    }
    if (Object.keys(metadata).length > 0) {
      await addArtifactMetadata(context, name, record.version, metadata, signal);
    }
  }
  // The version exists from here on: what follows is bookkeeping that a later log of the same
  // content redoes (every write is idempotent), so a failure is logged, not thrown.
  await housekeeping(context, 'edges to parents', name, () => writeChildEdges(context, record));
  const run = options.run;
  if (run !== undefined) {
    const logged = edge('logged', `${name}:v${record.version}`, context, run);
    await housekeeping(context, "the run's logged edge", name, async () => {
      await createRecordOnce(
        context.storage,
        runArtifactKeys(run).logged(name, record.version),
        logged,
        signal,
      );
      await createRecordOnce(
        context.storage,
        artifactKeys(name).loggedBy(record.version, run),
        logged,
        signal,
      );
    });
  }
  await housekeeping(context, 'the latest alias', name, () =>
    advanceLatest(context, name, record.version, run, signal),
  );
  for (const alias of options.aliases ?? []) {
    await moveAlias(context, {
      name,
      alias,
      version: record.version,
      ...(run === undefined ? {} : { run }),
      ...(signal === undefined ? {} : { signal }),
    });
  }
  return {
    name,
    version: record.version,
    reference: `${name}:v${record.version}`,
    digest: record.digest,
    created: committed.created,
    record,
  };
}

/** Runs bookkeeping after the commit; a failure is logged with what was skipped. */
async function housekeeping(
  context: ArtifactContext,
  what: string,
  name: string,
  work: () => Promise<void>,
): Promise<void> {
  try {
    await work();
  } catch (error) {
    context.logger.warn(
      { artifact: name, error: error instanceof Error ? error.message : String(error) },
      `the version was created, but writing ${what} failed; logging the same content again writes it`,
    );
  }
}

function edge(
  kind: ArtifactEdgeRecord['kind'],
  artifact: string,
  context: ArtifactContext,
  run?: string,
): ArtifactEdgeRecord {
  return {
    format: 'cairn.artifact-edge/v1',
    kind,
    artifact,
    at: isoNow(context),
    ...(run === undefined ? {} : { run }),
  };
}

/** Reverse edges from each parent to the new version, so descendants are found by listing. */
async function writeChildEdges(context: ArtifactContext, record: VersionRecord): Promise<void> {
  for (const parent of new Set([...record.parents, ...record.inputs])) {
    const colon = parent.lastIndexOf(':v');
    const parentName = parent.slice(0, colon);
    const parentVersion = Number(parent.slice(colon + 2));
    await createRecordOnce(
      context.storage,
      artifactKeys(parentName).child(parentVersion, record.name, record.version),
      edge('child', `${record.name}:v${record.version}`, context, record.run),
    );
  }
}

export { edge as artifactEdge };
