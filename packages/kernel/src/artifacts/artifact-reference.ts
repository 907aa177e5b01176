import { CairnError } from '../errors/cairn-error.js';

/** A parsed artifact reference: `name`, `name:v3` or `name:alias`. */
export interface ParsedArtifactReference {
  /** The artifact name. */
  readonly name: string;
  /** A version number, for `name:v<n>`. */
  readonly version?: number;
  /** An alias, for `name:<alias>`; `latest` when only a name is given. */
  readonly alias?: string;
}

const aliasPattern = /^[A-Za-z0-9][A-Za-z0-9_.-]*$/;
const versionPattern = /^v([1-9]\d{0,11})$/;

/**
 * Splits a reference. `dataset-x` means `dataset-x:latest`.
 * @throws CairnError `INVALID_OPTIONS` for anything else, with the forms that work.
 */
export function parseArtifactReference(reference: string): ParsedArtifactReference {
  if (typeof reference === 'string') {
    const colon = reference.indexOf(':');
    const name = colon === -1 ? reference : reference.slice(0, colon);
    const tag = colon === -1 ? 'latest' : reference.slice(colon + 1);
    if (aliasPattern.test(name)) {
      const version = versionPattern.exec(tag)?.[1];
      if (version !== undefined) return { name, version: Number(version) };
      // `v0` or `v0012` read as a version that cannot exist, not as an alias.
      if (aliasPattern.test(tag) && !/^v\d+$/.test(tag)) return { name, alias: tag };
    }
  }
  throw new CairnError({
    code: 'INVALID_OPTIONS',
    backend: 'artifacts',
    message: `${JSON.stringify(reference)} is not an artifact reference. Write "<name>" for the latest version, "<name>:v<n>" for a version (e.g. "dataset-x:v2"), or "<name>:<alias>" (e.g. "model-a:best").`,
    details: { reference },
  });
}

/**
 * Checks an alias a caller wants to set: a valid name segment, not `latest` (which moves by
 * itself) and not `v<n>` (which reads as a version).
 * @throws CairnError `INVALID_OPTIONS`.
 */
export function validateAliasName(alias: string): void {
  const problem =
    typeof alias !== 'string' || !aliasPattern.test(alias) || alias.length > 100
      ? 'aliases use letters, digits, "_", "-" and ".", start with a letter or digit, and are at most 100 characters'
      : alias === 'latest'
        ? '"latest" moves by itself to the newest version and cannot be set'
        : /^v\d+$/.test(alias)
          ? 'it reads as a version number'
          : alias.includes('.cairn-')
            ? 'it contains ".cairn-", which Cairn reserves'
            : undefined;
  if (problem === undefined) return;
  throw new CairnError({
    code: 'INVALID_OPTIONS',
    backend: 'artifacts',
    message: `The alias ${JSON.stringify(alias)} is not valid: ${problem}. Pick another, e.g. "best" or "production".`,
    details: { alias },
  });
}
