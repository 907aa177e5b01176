import type { ArtifactContext } from './artifact-context.js';
import { artifactKeys, edgeTarget, runArtifactKeys } from './artifact-layout.js';

/** Lists edge keys under a prefix as `name:v<n>` references, sorted. */
async function referencesUnder(
  context: ArtifactContext,
  prefix: string,
  signal?: AbortSignal,
): Promise<string[]> {
  const references: string[] = [];
  for await (const info of context.storage.list({
    prefix,
    ...(signal === undefined ? {} : { signal }),
  })) {
    const target = edgeTarget(info.key);
    if (target !== undefined) references.push(`${target.name}:v${target.version}`);
  }
  return references.sort();
}

/** What run `run` has used so far (`name:v<n>`), sorted. */
export function runInputs(
  context: ArtifactContext,
  run: string,
  signal?: AbortSignal,
): Promise<string[]> {
  return referencesUnder(context, runArtifactKeys(run).usedPrefix, signal);
}

/** What run `run` has logged (`name:v<n>`), sorted. */
export function runOutputs(
  context: ArtifactContext,
  run: string,
  signal?: AbortSignal,
): Promise<string[]> {
  return referencesUnder(context, runArtifactKeys(run).loggedPrefix, signal);
}

/** Versions made from `name:v<version>` (`name:v<n>`), sorted. */
export function versionChildren(
  context: ArtifactContext,
  name: string,
  version: number,
  signal?: AbortSignal,
): Promise<string[]> {
  return referencesUnder(context, artifactKeys(name).childrenPrefix(version), signal);
}

/** Run ids of the edge records under `prefix` (`<pipeline>/<time id>.json`), sorted. */
async function runsUnder(
  context: ArtifactContext,
  prefix: string,
  signal?: AbortSignal,
): Promise<string[]> {
  const runs: string[] = [];
  for await (const info of context.storage.list({
    prefix,
    ...(signal === undefined ? {} : { signal }),
  })) {
    const rest = info.key.slice(prefix.length);
    if (rest.endsWith('.json')) runs.push(rest.slice(0, -'.json'.length));
  }
  return runs.sort();
}

/** Runs that used `name:v<version>` (run ids), sorted. */
export function versionUsers(
  context: ArtifactContext,
  name: string,
  version: number,
  signal?: AbortSignal,
): Promise<string[]> {
  return runsUnder(context, artifactKeys(name).usedByPrefix(version), signal);
}

/** Runs that logged `name:v<version>` (run ids), sorted: the first, and any that logged it again. */
export function versionLoggers(
  context: ArtifactContext,
  name: string,
  version: number,
  signal?: AbortSignal,
): Promise<string[]> {
  return runsUnder(context, artifactKeys(name).loggedByPrefix(version), signal);
}
