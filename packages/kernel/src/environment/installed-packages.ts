import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { scrubSecretShapes } from '../secrets/secret-shapes.js';
import type { PackageVersion, ProjectFacts } from './environment-record.js';

/** The project's manifest and its dependencies with the versions installed. */
export interface PackageReading {
  readonly project: ProjectFacts;
  readonly packages: PackageVersion[];
  readonly warnings: string[];
}

const dependencyTypes = ['dependencies', 'devDependencies'] as const;

/**
 * npm package names, scoped or not. Checked before a name becomes part of a path, so a
 * manifest naming `../../somewhere` cannot make the capture read outside `node_modules`.
 */
const packageNamePattern = /^(?:@[a-z0-9~-][a-z0-9._~-]*\/)?[a-z0-9~-][a-z0-9._~-]*$/i;

type Manifest = Record<string, unknown>;

/** What an unreadable manifest reads as: no fields, so nothing is recorded from it. */
const invalidManifest: Manifest = Object.freeze({});

async function readManifest(file: string): Promise<Manifest | undefined> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch {
    return undefined;
  }
  try {
    const parsed: unknown = JSON.parse(text);
    return typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)
      ? (parsed as Manifest)
      : invalidManifest;
  } catch {
    return invalidManifest;
  }
}

/** `directory` and each of its parents up to the file system root, nearest first. */
function selfAndParents(directory: string): string[] {
  const directories = [directory];
  for (let current = directory; path.dirname(current) !== current; ) {
    current = path.dirname(current);
    directories.push(current);
  }
  return directories;
}

async function findManifest(
  directory: string,
): Promise<{ file: string; manifest: Manifest } | undefined> {
  for (const candidate of selfAndParents(directory)) {
    const file = path.join(candidate, 'package.json');
    const manifest = await readManifest(file);
    if (manifest !== undefined) return { file, manifest };
  }
  return undefined;
}

/** The installed version of `name`, resolved like Node does: the nearest `node_modules`. */
async function installedVersion(name: string, from: string): Promise<string | undefined> {
  for (const directory of selfAndParents(from)) {
    const manifest = await readManifest(path.join(directory, 'node_modules', name, 'package.json'));
    if (manifest === undefined) continue;
    return typeof manifest.version === 'string' ? manifest.version : undefined;
  }
  return undefined;
}

function stringField(manifest: Manifest, field: string): string | undefined {
  const value = manifest[field];
  return typeof value === 'string' ? value : undefined;
}

/**
 * Finds the project's `package.json` from `projectDirectory` walking up, and reads the
 * installed version of each dependency and dev dependency from `node_modules` (nearest
 * first, as Node resolves). Never throws: a missing manifest or package becomes a warning.
 * Declared ranges are scrubbed of secrets (a git URL may carry a token).
 */
export async function readInstalledPackages(projectDirectory: string): Promise<PackageReading> {
  const warnings: string[] = [];
  const found = await findManifest(projectDirectory);
  if (found === undefined) {
    warnings.push(
      `No package.json was found in ${projectDirectory} or any folder above it, so no package versions are recorded.`,
    );
    return { project: { directory: projectDirectory }, packages: [], warnings };
  }
  const { file, manifest } = found;
  if (manifest === invalidManifest) {
    warnings.push(
      `${file} is not a valid JSON object, so no package versions are recorded. Fix its syntax to record them.`,
    );
  }
  const name = stringField(manifest, 'name');
  const version = stringField(manifest, 'version');
  const project: ProjectFacts = {
    directory: projectDirectory,
    manifest: file,
    ...(name === undefined ? {} : { name }),
    ...(version === undefined ? {} : { version }),
  };

  // Dependencies first, then dev dependencies, each by name in code-point order.
  const declared: { name: string; type: PackageVersion['type']; range: string }[] = [];
  for (const type of dependencyTypes) {
    const list = manifest[type];
    if (typeof list !== 'object' || list === null) continue;
    const names = Object.keys(list).sort();
    for (const dependency of names) {
      const range = (list as Record<string, unknown>)[dependency];
      declared.push({ name: dependency, type, range: typeof range === 'string' ? range : '' });
    }
  }

  const from = path.dirname(file);
  const packages = await Promise.all(
    declared.map(async (dependency): Promise<PackageVersion> => {
      const installed = packageNamePattern.test(dependency.name)
        ? await installedVersion(dependency.name, from)
        : undefined;
      return {
        name: dependency.name,
        type: dependency.type,
        range: scrubSecretShapes(dependency.range).text,
        ...(installed === undefined ? {} : { installed }),
      };
    }),
  );
  const missing = packages.filter((entry) => entry.installed === undefined);
  if (missing.length > 0) {
    const names = missing.map((entry) => entry.name);
    const shown = names.slice(0, 10).join(', ') + (names.length > 10 ? ', …' : '');
    warnings.push(
      `${missing.length} package${missing.length === 1 ? '' : 's'} declared in ${file} ${missing.length === 1 ? 'is' : 'are'} not installed (${shown}), so no installed version is recorded for ${missing.length === 1 ? 'it' : 'them'}. Install the project's dependencies to record them.`,
    );
  }
  return { project, packages, warnings };
}
