import { CairnError } from '../errors/cairn-error.js';
import type { JournalEvent } from '../journal/journal-events.js';
import type { LineageAlias, LineageGraph } from '../lineage/lineage-graph.js';
import { type Logger, silentLogger } from '../logging/logger.js';
import { parseRunId } from '../naming/layout.js';
import { type Clock, systemClock } from '../retry/clock.js';
import type { Storage } from '../storage/storage.js';
import { type AliasMove, listAliases, moveAlias } from './artifact-aliases.js';
import type { ArtifactContent } from './artifact-content.js';
import type { ArtifactContext } from './artifact-context.js';
import { createRecordOnce } from './artifact-json.js';
import { artifactKeys, runArtifactKeys } from './artifact-layout.js';
import { addArtifactMetadata } from './artifact-metadata.js';
import { type ArtifactNamingOptions, resolveArtifactNaming } from './artifact-naming.js';
import { validateAliasName } from './artifact-reference.js';
import { type ArtifactVersion, toArtifactVersion } from './artifact-version.js';
import {
  listArtifactNames,
  readVersionRecord,
  resolveArtifactVersion,
  versionNumbers,
} from './artifact-versions.js';
import { type LoadLineageOptions, loadLineage } from './load-lineage.js';
import {
  artifactEdge,
  checkMetadata,
  type LogArtifactFields,
  type LogArtifactOptions,
  type LoggedArtifact,
  logArtifact,
} from './log-artifact.js';

/** A run artifacts are logged and used by: its id, or a started run (whose journal hears of it). */
export type ArtifactRun = string | { readonly id: string; emit?(event: JournalEvent): void };

/** What {@link ArtifactStore.log} takes: the content, the fields, and a run id or started run. */
export type StoreLogOptions = ArtifactContent &
  Omit<LogArtifactFields, 'run'> & { readonly run?: ArtifactRun };

/** Options for {@link createArtifactStore}. */
export interface ArtifactStoreOptions {
  /** Where artifacts live; needs conditional writes (storage-fs, S3, memory). */
  readonly storage: Storage;
  /** The run that logs and uses artifacts through this store, unless a call names another. */
  readonly run?: ArtifactRun;
  /** Naming conventions: the defaults, relaxed or extended (config `artifacts.naming`). */
  readonly naming?: ArtifactNamingOptions;
  /** Where warnings go. Silent by default. */
  readonly logger?: Logger;
  /** Time source and waits (tests drive it). */
  readonly clock?: Clock;
  /** Randomness for jittered waits. */
  readonly random?: () => number;
}

/** Options for {@link ArtifactStore.setAlias}. */
export interface SetAliasOptions {
  /**
   * Move only if this holds for the version the alias points at now (asked again after each
   * lost race). E.g. `(current) => current === undefined || current < 7`.
   */
  readonly when?: (current: number | undefined) => boolean | Promise<boolean>;
  /**
   * Move only if this version scores better on a metadata metric than the one the alias
   * points at now (or the alias is unset): what `best` means. A version without the metric
   * never wins.
   */
  readonly better?: { readonly metric: string; readonly mode: 'max' | 'min' };
  /** The run moving it (recorded). */
  readonly run?: ArtifactRun;
  /** Cancels the move. */
  readonly signal?: AbortSignal;
}

/** Versioned, immutable artifacts with aliases and lineage. */
export interface ArtifactStore {
  /**
   * Logs a version of an artifact from a value, file, directory or external reference;
   * identical content returns the existing version (`created: false`). See `logArtifact`.
   */
  log(options: StoreLogOptions): Promise<LoggedArtifact>;
  /**
   * A version to read, recorded as an input of the run: `use("dataset-x")` is the latest,
   * `use("dataset-x:v2")` a version, `use("model-a:best")` an alias. Later artifacts the run
   * logs list it among their parents.
   * @throws CairnError `NOT_FOUND` listing what exists.
   */
  use(
    reference: string,
    options?: { readonly run?: ArtifactRun; readonly signal?: AbortSignal },
  ): Promise<ArtifactVersion>;
  /** A version to read, without recording a use. */
  get(reference: string, options?: { readonly signal?: AbortSignal }): Promise<ArtifactVersion>;
  /** Every artifact name, sorted. */
  names(options?: { readonly signal?: AbortSignal }): AsyncIterable<string>;
  /** Every version of `name`, oldest first. */
  versions(name: string, options?: { readonly signal?: AbortSignal }): Promise<ArtifactVersion[]>;
  /** The aliases of `name`. */
  aliases(name: string, options?: { readonly signal?: AbortSignal }): Promise<LineageAlias[]>;
  /**
   * Points `alias` of the artifact at the version `reference` names, by compare-and-swap;
   * `when`/`better` make the move conditional. `latest` cannot be set: it follows the newest.
   */
  setAlias(reference: string, alias: string, options?: SetAliasOptions): Promise<AliasMove>;
  /** Adds metadata to a version (merged over earlier additions); returns all added metadata. */
  addMetadata(
    reference: string,
    metadata: Readonly<Record<string, unknown>>,
    options?: { readonly signal?: AbortSignal },
  ): Promise<Record<string, unknown>>;
  /** The lineage graph, whole or around one artifact or run. */
  lineage(options?: LoadLineageOptions): Promise<LineageGraph>;
}

function runIdOf(run: ArtifactRun | undefined): string | undefined {
  if (run === undefined) return undefined;
  const id = typeof run === 'string' ? run : run.id;
  parseRunId(id);
  return id;
}

function emit(run: ArtifactRun | undefined, name: string, data: Record<string, unknown>): void {
  if (typeof run === 'object' && run.emit !== undefined) run.emit({ type: 'custom', name, data });
}

/**
 * Opens the artifact store on a storage: log, use, alias and trace versioned artifacts.
 *
 * @throws CairnError `INVALID_OPTIONS` for bad options (naming rules, run id).
 *
 * @example
 * const artifacts = createArtifactStore({ storage, run: run.id });
 * const data = await artifacts.log({ name: 'dataset-gsm8k', type: 'dataset', directory: './data' });
 * const model = await artifacts.log({ name: 'model-sft', type: 'model', file: './sft.safetensors', parents: [data.reference] });
 * console.log(model.reference, model.created ? 'new' : 'unchanged');
 */
export function createArtifactStore(options: ArtifactStoreOptions): ArtifactStore {
  const defaultRun = options.run;
  runIdOf(defaultRun);
  const context: ArtifactContext = {
    storage: options.storage,
    naming: resolveArtifactNaming(options.naming),
    logger: options.logger ?? silentLogger,
    clock: options.clock ?? systemClock,
    random: options.random ?? Math.random,
  };

  const signalOf = (given: { readonly signal?: AbortSignal } | undefined) =>
    given?.signal === undefined ? {} : { signal: given.signal };

  const store: ArtifactStore = {
    async log(logOptions) {
      const run = logOptions.run ?? defaultRun;
      const runId = runIdOf(run);
      const logged = await logArtifact(context, {
        ...logOptions,
        ...(runId === undefined ? {} : { run: runId }),
      } as LogArtifactOptions);
      emit(run, 'artifact-logged', {
        artifact: logged.reference,
        type: logged.record.type,
        digest: logged.digest,
        created: logged.created,
      });
      return logged;
    },

    async use(reference, useOptions = {}) {
      const run = useOptions.run ?? defaultRun;
      const runId = runIdOf(run);
      const record = await resolveArtifactVersion(context, reference, useOptions.signal);
      // A run reading back what it logged itself is not an input of the run: recording it would
      // make the run its own ancestor.
      if (runId !== undefined && record.run !== runId) {
        const edge = artifactEdge('used', `${record.name}:v${record.version}`, context, runId);
        // The run's side first: a run's inputs are what its later artifacts list as parents.
        await createRecordOnce(
          context.storage,
          runArtifactKeys(runId).used(record.name, record.version),
          edge,
          useOptions.signal,
        );
        await createRecordOnce(
          context.storage,
          artifactKeys(record.name).usedBy(record.version, runId),
          edge,
          useOptions.signal,
        );
        emit(run, 'artifact-used', { artifact: `${record.name}:v${record.version}`, reference });
      }
      return toArtifactVersion(context, record, useOptions.signal);
    },

    async get(reference, getOptions) {
      const record = await resolveArtifactVersion(context, reference, getOptions?.signal);
      return toArtifactVersion(context, record, getOptions?.signal);
    },

    names: (namesOptions) => listArtifactNames(context.storage, namesOptions?.signal),

    async versions(name, versionsOptions) {
      const versions: ArtifactVersion[] = [];
      for (const number of await versionNumbers(context, name, versionsOptions?.signal)) {
        const record = await readVersionRecord(context, name, number, versionsOptions?.signal);
        if (record !== undefined) {
          versions.push(await toArtifactVersion(context, record, versionsOptions?.signal));
        }
      }
      return versions;
    },

    aliases: (name, aliasesOptions) => listAliases(context, name, aliasesOptions?.signal),

    async setAlias(reference, alias, aliasOptions = {}) {
      validateAliasName(alias);
      const record = await resolveArtifactVersion(context, reference, aliasOptions.signal);
      const runId = runIdOf(aliasOptions.run ?? defaultRun);
      const better = aliasOptions.better;
      const score = (metadata: Record<string, unknown>) => {
        const value = better === undefined ? undefined : metadata[better.metric];
        return typeof value === 'number' && Number.isFinite(value) ? value : undefined;
      };
      const mine =
        better === undefined
          ? undefined
          : score((await store.get(`${record.name}:v${record.version}`)).metadata);
      if (better !== undefined && mine === undefined) {
        throw new CairnError({
          code: 'INVALID_OPTIONS',
          backend: 'artifacts',
          message: `"${record.name}:v${record.version}" has no numeric metadata "${better.metric}" to compare; add it (addMetadata) before moving "${alias}" by it.`,
        });
      }
      return moveAlias(context, {
        name: record.name,
        alias,
        version: record.version,
        ...(runId === undefined ? {} : { run: runId }),
        ...signalOf(aliasOptions),
        when: async (current) => {
          if (aliasOptions.when !== undefined && !(await aliasOptions.when(current))) return false;
          if (better === undefined || current === undefined) return true;
          const currentRecord = await readVersionRecord(context, record.name, current);
          if (currentRecord === undefined) return true;
          const theirs = score((await toArtifactVersion(context, currentRecord)).metadata);
          if (theirs === undefined) return true;
          return better.mode === 'max' ? (mine as number) > theirs : (mine as number) < theirs;
        },
      });
    },

    async addMetadata(reference, metadata, metadataOptions) {
      checkMetadata(metadata);
      const record = await resolveArtifactVersion(context, reference, metadataOptions?.signal);
      return addArtifactMetadata(
        context,
        record.name,
        record.version,
        metadata,
        metadataOptions?.signal,
      );
    },

    lineage: (lineageOptions) => loadLineage(context, lineageOptions),
  };
  return store;
}
