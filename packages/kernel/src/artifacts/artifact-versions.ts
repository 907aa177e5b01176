import { closestMatch } from '../config/closest-match.js';
import { CairnError } from '../errors/cairn-error.js';
import type { Storage } from '../storage/storage.js';
import { latestVersion, listVersions } from '../versions/latest-version.js';
import { versionKey } from '../versions/version-keys.js';
import { listAliases, readAlias } from './artifact-aliases.js';
import type { ArtifactContext } from './artifact-context.js';
import { readJsonRecord } from './artifact-json.js';
import { artifactKeys, artifactsRoot } from './artifact-layout.js';
import { type ArtifactVersionRecord, artifactVersionRecordSchema } from './artifact-records.js';
import { parseArtifactReference } from './artifact-reference.js';

/** A version's record with its number (which lives in its key). */
export interface VersionRecord extends ArtifactVersionRecord {
  /** The version number. */
  readonly version: number;
}

/** Reads version `version` of `name`, or undefined when it does not exist. */
export async function readVersionRecord(
  context: ArtifactContext,
  name: string,
  version: number,
  signal?: AbortSignal,
): Promise<VersionRecord | undefined> {
  const record = await readJsonRecord(
    context.storage,
    versionKey(artifactKeys(name).folder, version),
    artifactVersionRecordSchema,
    signal,
  );
  return record === undefined ? undefined : { ...record.value, version };
}

/** Every artifact name in the storage, sorted, page by page. */
export async function* listArtifactNames(
  storage: Storage,
  signal?: AbortSignal,
): AsyncGenerator<string> {
  let cursor: string | undefined;
  do {
    const page = await storage.listPage({
      prefix: artifactsRoot,
      delimiter: '/',
      allowEmptyFolders: true,
      ...(cursor === undefined ? {} : { cursor }),
      ...(signal === undefined ? {} : { signal }),
    });
    for (const prefix of page.prefixes) yield prefix.slice(artifactsRoot.length, -1);
    cursor = page.cursor;
  } while (cursor !== undefined);
}

/** Every version number of `name`, lowest first. */
export async function versionNumbers(
  context: ArtifactContext,
  name: string,
  signal?: AbortSignal,
): Promise<number[]> {
  const numbers: number[] = [];
  for await (const { version } of listVersions(
    context.storage,
    artifactKeys(name).folder,
    signal === undefined ? {} : { signal },
  )) {
    numbers.push(version);
  }
  return numbers;
}

/** Shows at most a few items of a list: `v1, v2, …, v9` style. */
function summarise(items: readonly string[], limit = 8): string {
  if (items.length <= limit) return items.join(', ');
  return `${items.slice(0, 3).join(', ')}, …, ${items.slice(-(limit - 3)).join(', ')} (${items.length} in all)`;
}

/**
 * Resolves `name`, `name:v<n>` or `name:<alias>` to a version that exists, with its record.
 *
 * @throws CairnError `INVALID_OPTIONS` for a malformed reference; `NOT_FOUND` for an unknown
 *   artifact (with the closest name and what exists), version or alias (with the versions and
 *   aliases that exist).
 */
export async function resolveArtifactVersion(
  context: ArtifactContext,
  reference: string,
  signal?: AbortSignal,
): Promise<VersionRecord> {
  const parsed = parseArtifactReference(reference);
  // `latest` is the highest version record, not only what the alias file says: a logger that
  // failed after creating its version (or crashed) may have left the alias behind.
  const version =
    parsed.version ??
    (parsed.alias === 'latest'
      ? (
          await latestVersion(
            context.storage,
            artifactKeys(parsed.name).folder,
            signal === undefined ? {} : { signal },
          )
        )?.version
      : await readAlias(context, parsed.name, parsed.alias as string, signal));
  if (version !== undefined) {
    const record = await readVersionRecord(context, parsed.name, version, signal);
    if (record !== undefined) return record;
  }
  const numbers = await versionNumbers(context, parsed.name, signal);
  if (numbers.length === 0) {
    const names: string[] = [];
    for await (const name of listArtifactNames(context.storage, signal)) names.push(name);
    const closest = closestMatch(parsed.name, names);
    throw new CairnError({
      code: 'NOT_FOUND',
      backend: 'artifacts',
      message: `There is no artifact named "${parsed.name}"${closest === undefined ? '' : `; did you mean "${closest}"?`} ${names.length === 0 ? 'No artifact has been logged in this storage yet.' : `Artifacts: ${summarise(names)}.`}`,
      details: { reference, names: names.slice(0, 100) },
    });
  }
  const aliases = await listAliases(context, parsed.name, signal);
  const what =
    parsed.version !== undefined
      ? `version v${parsed.version}`
      : version === undefined
        ? `alias "${parsed.alias}"`
        : `version v${version} (where alias "${parsed.alias}" points)`;
  throw new CairnError({
    code: 'NOT_FOUND',
    backend: 'artifacts',
    message: `Artifact "${parsed.name}" has no ${what}. Versions: ${summarise(numbers.map((number) => `v${number}`))}${aliases.length === 0 ? '' : `; aliases: ${aliases.map((alias) => `${alias.alias} → v${alias.version}`).join(', ')}`}.`,
    details: { reference, versions: numbers.slice(-100), aliases },
  });
}
