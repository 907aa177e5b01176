import type { MetadataLookup, MetadataSource, SourceRun } from '../catalog/metadata-source.js';
import type { JsonValue } from '../checkpoints/json-value.js';
import { throwIfAborted } from './indexing-backend.js';
import { isJsonObject, parseYamlToJson } from './json-metadata.js';
import { folderNameOf, folderOf, foldersUp, parentFolderOf } from './key-paths.js';
import { createSmallFileCache, maxYamlBytes } from './small-file.js';

/** The name the Hydra source reports. */
export const hydraSourceName = 'hydra';

/** How many folders above the payload's own a `.hydra/` folder is looked for. */
const levelsUp = 3;

/**
 * When Hydra started the run, from its default output folder names: `<YYYY-MM-DD>/<HH-MM-SS>/`
 * (and `multirun/<date>/<time>/<job number>/`). Hydra names them in local time, which the
 * folders do not record: they are read as UTC.
 */
export function hydraRunTime(runFolder: string): string | undefined {
  let folder: string | undefined = runFolder;
  if (/^\d+$/.test(folderNameOf(folder) ?? '')) folder = parentFolderOf(folder);
  const time = /^(\d{2})-(\d{2})-(\d{2})$/.exec(folderNameOf(folder ?? '') ?? '');
  const date = /^(\d{4})-(\d{2})-(\d{2})$/.exec(
    folderNameOf(parentFolderOf(folder ?? '') ?? '') ?? '',
  );
  if (time === null || date === null) return undefined;
  const iso = `${date[1]}-${date[2]}-${date[3]}T${time[1]}:${time[2]}:${time[3]}.000Z`;
  const parsed = new Date(iso);
  return Number.isNaN(parsed.getTime()) || parsed.toISOString() !== iso ? undefined : iso;
}

function jobNameOf(hydraYaml: JsonValue): string | undefined {
  if (!isJsonObject(hydraYaml)) return undefined;
  const hydra = hydraYaml.hydra;
  const job = isJsonObject(hydra) ? hydra.job : undefined;
  const name = isJsonObject(job) ? job.name : undefined;
  return typeof name === 'string' && name !== '' ? name : undefined;
}

/**
 * Infers metadata from a Hydra run folder: the payload's folder or one of its {@link levelsUp}
 * ancestors holding `.hydra/config.yaml`. Answers the composed config (`metadata.config`), the
 * command-line overrides (`metadata.overrides`, from `.hydra/overrides.yaml`), the job name
 * (from `.hydra/hydra.yaml`) as the run's name and group, the run folder as the run's id, and
 * the run's start from Hydra's `outputs/<date>/<time>/` folder names when present. The
 * checkpoint's own time is left to the payload's last-modified time.
 */
export function createHydraSource(): MetadataSource {
  const files = createSmallFileCache();
  return {
    name: hydraSourceName,
    async lookup(subject): Promise<MetadataLookup> {
      const { payloadKey, storage, signal } = subject;
      const what = `Looking up "${payloadKey}" in the Hydra source`;
      for (const runFolder of foldersUp(folderOf(payloadKey), levelsUp)) {
        throwIfAborted(signal, what);
        const configKey = `${runFolder}.hydra/config.yaml`;
        const config = await files.read(storage, configKey, maxYamlBytes, parseYamlToJson, signal);
        if (config.status === 'missing') continue;
        if (config.status === 'unusable') return config;
        if (config.value !== null && !isJsonObject(config.value)) {
          return { status: 'unusable', reason: `"${configKey}" is not a mapping` };
        }
        const overridesKey = `${runFolder}.hydra/overrides.yaml`;
        const overrides = await files.read(
          storage,
          overridesKey,
          maxYamlBytes,
          parseYamlToJson,
          signal,
        );
        if (overrides.status === 'unusable') return overrides;
        if (
          overrides.status === 'found' &&
          overrides.value !== null &&
          !(
            Array.isArray(overrides.value) &&
            overrides.value.every((item) => typeof item === 'string')
          )
        ) {
          return { status: 'unusable', reason: `"${overridesKey}" is not a list of overrides` };
        }
        const hydraKey = `${runFolder}.hydra/hydra.yaml`;
        const hydra = await files.read(storage, hydraKey, maxYamlBytes, parseYamlToJson, signal);
        if (hydra.status === 'unusable') return hydra;
        const job = hydra.status === 'found' ? jobNameOf(hydra.value) : undefined;
        const startedAt = hydraRunTime(runFolder);
        const runFolderName = folderNameOf(runFolder);
        const run: SourceRun = {
          id: runFolder === '' ? '.' : runFolder.replace(/\/$/, ''),
          ...(job === undefined ? {} : { name: job, group: job }),
          ...(job === undefined && runFolderName !== undefined ? { name: runFolderName } : {}),
          ...(startedAt === undefined ? {} : { createdAt: startedAt }),
        };
        const hydraFacts: Record<string, JsonValue> = { runFolder: run.id as string };
        if (job !== undefined) hydraFacts.job = job;
        if (startedAt !== undefined) hydraFacts.startedAt = startedAt;
        return {
          status: 'found',
          answer: {
            metadata: {
              config: config.value ?? {},
              overrides: overrides.status === 'found' ? (overrides.value ?? []) : [],
              hydra: hydraFacts,
            },
            metrics: {},
            tags: ['hydra'],
            run,
            origin: configKey,
          },
        };
      }
      return {
        status: 'not-found',
        reason: `no ".hydra/config.yaml" in "${folderOf(payloadKey) || '.'}" or the ${levelsUp} folders above it`,
      };
    },
  };
}
