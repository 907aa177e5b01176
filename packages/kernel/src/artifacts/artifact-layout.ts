import { formatSequence, parseRunId } from '../naming/layout.js';

/**
 * Where artifacts live. The version records use the kernel's version allocation (create-only
 * `v<12 digits>` keys), so two writers never get the same number; everything else under an
 * artifact's folder avoids names starting with `v`.
 *
 * ```
 * artifacts/<name>/v000000000003                  version 3's record (JSON, create-only)
 * artifacts/<name>/aliases/<alias>.json           an alias: the version it points at (compare-and-swap)
 * artifacts/<name>/digests/<sha256>.json          content digest → version: logging it again finds it
 * artifacts/<name>/metadata/000000000003.json     metadata added to version 3 after it was logged
 * artifacts/<name>/edges/000000000003/used-by/<pipeline>/<time id>.json   a run that used version 3
 * artifacts/<name>/edges/000000000003/logged-by/<pipeline>/<time id>.json a run that logged it
 * artifacts/<name>/edges/000000000003/children/<child>/<12 digits>.json   a version made from it
 * blobs/sha256/<first 2 hex>/<sha256>            file contents, stored once whatever names them
 * runs/<pipeline>/<time id>/artifacts/used/<name>/<12 digits>.json     what the run used
 * runs/<pipeline>/<time id>/artifacts/logged/<name>/<12 digits>.json   what the run logged
 * ```
 */
export const artifactsRoot = 'artifacts/';

/** Keys of the artifact `name`. */
export function artifactKeys(name: string) {
  const folder = `${artifactsRoot}${name}/`;
  return {
    /** The version prefix for `createVersion`. */
    folder,
    /** Prefix of the aliases. */
    aliasesPrefix: `${folder}aliases/`,
    /** Key of one alias. */
    alias: (alias: string) => `${folder}aliases/${alias}.json`,
    /** Key of the digest claim of a content digest (hex). */
    digest: (hex: string) => `${folder}digests/${hex}.json`,
    /** Key of the added metadata of a version. */
    metadata: (version: number) => `${folder}metadata/${formatSequence(version)}.json`,
    /** Prefix of the runs that used a version. */
    usedByPrefix: (version: number) => `${folder}edges/${formatSequence(version)}/used-by/`,
    /** Key of the edge saying run `run` used a version. */
    usedBy: (version: number, run: string) => {
      const { pipeline, timeId } = parseRunId(run);
      return `${folder}edges/${formatSequence(version)}/used-by/${pipeline}/${timeId}.json`;
    },
    /** Prefix of the runs that logged a version (the first, and any that logged it again). */
    loggedByPrefix: (version: number) => `${folder}edges/${formatSequence(version)}/logged-by/`,
    /** Key of the edge saying run `run` logged a version. */
    loggedBy: (version: number, run: string) => {
      const { pipeline, timeId } = parseRunId(run);
      return `${folder}edges/${formatSequence(version)}/logged-by/${pipeline}/${timeId}.json`;
    },
    /** Prefix of the versions made from a version. */
    childrenPrefix: (version: number) => `${folder}edges/${formatSequence(version)}/children/`,
    /** Key of the edge saying `child:v<childVersion>` was made from a version. */
    child: (version: number, child: string, childVersion: number) =>
      `${folder}edges/${formatSequence(version)}/children/${child}/${formatSequence(childVersion)}.json`,
  };
}

/** Keys of a run's artifact edges. */
export function runArtifactKeys(run: string) {
  const { pipeline, timeId } = parseRunId(run);
  const folder = `runs/${pipeline}/${timeId}/artifacts/`;
  return {
    /** Prefix of what the run used. */
    usedPrefix: `${folder}used/`,
    /** Key of the edge saying the run used `name:v<version>`. */
    used: (name: string, version: number) =>
      `${folder}used/${name}/${formatSequence(version)}.json`,
    /** Prefix of what the run logged. */
    loggedPrefix: `${folder}logged/`,
    /** Key of the edge saying the run logged `name:v<version>`. */
    logged: (name: string, version: number) =>
      `${folder}logged/${name}/${formatSequence(version)}.json`,
  };
}

/** Key of a blob, from its SHA-256 in hex. */
export function blobKey(sha256: string): string {
  return `blobs/sha256/${sha256.slice(0, 2)}/${sha256}`;
}

/** The `<name>` and version of an edge key ending `<name>/<12 digits>.json`, or undefined. */
export function edgeTarget(key: string): { name: string; version: number } | undefined {
  const match = /([^/]+)\/(\d{12})\.json$/.exec(key);
  if (match?.[1] === undefined || match[2] === undefined) return undefined;
  return { name: match[1], version: Number(match[2]) };
}
