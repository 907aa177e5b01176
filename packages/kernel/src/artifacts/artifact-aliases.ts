import { CairnError, isCairnError } from '../errors/cairn-error.js';
import type { LineageAlias } from '../lineage/lineage-graph.js';
import { latestVersion } from '../versions/latest-version.js';
import { type ArtifactContext, contentionDelay, isoNow } from './artifact-context.js';
import { readJsonRecord, serialiseRecord } from './artifact-json.js';
import { artifactKeys } from './artifact-layout.js';
import { type ArtifactAliasRecord, artifactAliasRecordSchema } from './artifact-records.js';

/** Compare-and-swap attempts before an alias move gives up: contention resolves in a few. */
const maxAliasAttempts = 200;

/** Options for {@link moveAlias}. */
export interface MoveAliasOptions {
  /** The artifact name. */
  readonly name: string;
  /** The alias to move. */
  readonly alias: string;
  /** The version to point it at. */
  readonly version: number;
  /** The run moving it, recorded in the alias. */
  readonly run?: string;
  /**
   * Decides, against the version the alias points at now (undefined when it does not exist
   * yet), whether to move it. Asked again after every lost race, so "move `best` only if this
   * one scores higher" holds however many writers race.
   */
  readonly when?: (current: number | undefined) => boolean | Promise<boolean>;
  /** Cancels the move. */
  readonly signal?: AbortSignal;
}

/** What a move did. */
export interface AliasMove {
  /** True when the alias now points at the version because of this call. */
  readonly moved: boolean;
  /** The version it pointed at before (or still points at, when not moved). */
  readonly previous: number | undefined;
}

/**
 * Moves an alias by compare-and-swap: reads it, asks `when`, and replaces exactly what it read
 * (or creates it if absent); a writer that lost the race reads again and asks again. Two
 * movers never both believe they won, and no move is lost.
 *
 * @throws CairnError `RETRIES_EXHAUSTED` after {@link maxAliasAttempts} lost races; `ABORTED`.
 */
export async function moveAlias(
  context: ArtifactContext,
  options: MoveAliasOptions,
): Promise<AliasMove> {
  const keys = artifactKeys(options.name);
  const key = keys.alias(options.alias);
  for (let attempt = 1; attempt <= maxAliasAttempts; attempt += 1) {
    if (options.signal?.aborted) throw abortError(options);
    const current = await readJsonRecord(
      context.storage,
      key,
      artifactAliasRecordSchema,
      options.signal,
    );
    const previous = current?.value.version;
    if (previous === options.version) return { moved: false, previous };
    if (options.when !== undefined && !(await options.when(previous))) {
      return { moved: false, previous };
    }
    const record: ArtifactAliasRecord = {
      format: 'cairn.artifact-alias/v1',
      name: options.name,
      alias: options.alias,
      version: options.version,
      movedAt: isoNow(context),
      ...(options.run === undefined ? {} : { run: options.run }),
    };
    try {
      await context.storage.put(key, serialiseRecord(record), {
        ...(current === undefined ? { ifNoneMatch: '*' as const } : { ifMatch: current.etag }),
        contentType: 'application/json',
        ...(options.signal === undefined ? {} : { signal: options.signal }),
      });
      return { moved: true, previous };
    } catch (error) {
      if (!isCairnError(error, 'PRECONDITION_FAILED') && !isCairnError(error, 'CONFLICT')) {
        throw error;
      }
      try {
        await context.clock.sleep(contentionDelay(context, attempt), options.signal);
      } catch {
        throw abortError(options);
      }
    }
  }
  throw new CairnError({
    code: 'RETRIES_EXHAUSTED',
    backend: 'artifacts',
    message: `Could not move the alias "${options.name}:${options.alias}" to v${options.version}: other writers changed it ${maxAliasAttempts} times in a row. Try again when fewer writers move it at once.`,
    details: { name: options.name, alias: options.alias, version: options.version },
  });
}

function abortError(options: MoveAliasOptions): CairnError {
  return new CairnError({
    code: 'ABORTED',
    backend: 'artifacts',
    message: `Moving the alias "${options.name}:${options.alias}" was cancelled; it points where it pointed before or where this call moved it.`,
    cause: options.signal?.reason,
  });
}

/** The version an alias points at, or undefined when the alias does not exist. */
export async function readAlias(
  context: ArtifactContext,
  name: string,
  alias: string,
  signal?: AbortSignal,
): Promise<number | undefined> {
  const record = await readJsonRecord(
    context.storage,
    artifactKeys(name).alias(alias),
    artifactAliasRecordSchema,
    signal,
  );
  return record?.value.version;
}

/**
 * Every alias of artifact `name`, sorted by alias; `latest` is the highest version (the alias
 * file may lag behind a logger that failed after creating its version).
 */
export async function listAliases(
  context: ArtifactContext,
  name: string,
  signal?: AbortSignal,
): Promise<LineageAlias[]> {
  const keys = artifactKeys(name);
  const aliases: LineageAlias[] = [];
  for await (const info of context.storage.list({
    prefix: keys.aliasesPrefix,
    ...(signal === undefined ? {} : { signal }),
  })) {
    if (!info.key.endsWith('.json')) continue;
    const record = await readJsonRecord(
      context.storage,
      info.key,
      artifactAliasRecordSchema,
      signal,
    );
    if (record !== undefined) {
      aliases.push({ name, alias: record.value.alias, version: record.value.version });
    }
  }
  const highest = await latestVersion(
    context.storage,
    keys.folder,
    signal === undefined ? {} : { signal },
  );
  const latest = aliases.find((alias) => alias.alias === 'latest');
  if (highest !== undefined && latest?.version !== highest.version) {
    const others = aliases.filter((alias) => alias.alias !== 'latest');
    return [...others, { name, alias: 'latest', version: highest.version }].sort((left, right) =>
      left.alias < right.alias ? -1 : left.alias > right.alias ? 1 : 0,
    );
  }
  return aliases;
}

/**
 * Moves `latest` forward to `version` unless it already points at a newer one: versions are
 * created in number order, but their loggers may reach this step in any order.
 */
export async function advanceLatest(
  context: ArtifactContext,
  name: string,
  version: number,
  run: string | undefined,
  signal?: AbortSignal,
): Promise<void> {
  await moveAlias(context, {
    name,
    alias: 'latest',
    version,
    ...(run === undefined ? {} : { run }),
    when: (current) => current === undefined || current < version,
    ...(signal === undefined ? {} : { signal }),
  });
}
