import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';

/** What looking up a package from the project found. */
export type PackageEntry =
  /** The file to import. */
  | { readonly status: 'found'; readonly file: string }
  /** No such package in any `node_modules` the project can see. */
  | { readonly status: 'missing' }
  /** The package is there but its entry file is not (typically: not built yet). */
  | { readonly status: 'entry-missing'; readonly packageDirectory: string }
  /** The package is there but exports nothing Node can import at that path. */
  | { readonly status: 'not-exported'; readonly packageDirectory: string };

// What Node's ESM loader matches in `exports`; require.resolve uses `require` instead.
const importConditions = new Set(['node', 'import', 'default']);

/**
 * Resolves `specifier` (`name` or `name/subpath`) the way Node would from a module in the
 * project directory, not from the kernel's own location: a plugin installed in the project is
 * found even when the kernel lives elsewhere (a global CLI, a linked workspace).
 */
export function resolvePackageEntry(projectDirectory: string, specifier: string): PackageEntry {
  const packageName = packageNameOf(specifier);
  // Only the project's own node_modules chain counts. require.resolve would also search
  // NODE_PATH and global folders, which a package manager's bin shim points at its own store:
  // a plugin would then load from wherever the CLI happens to be installed.
  const packageDirectory = installedPackageDirectory(projectDirectory, packageName);
  if (packageDirectory === undefined) return { status: 'missing' };

  const requireFromProject = createRequire(path.join(projectDirectory, 'package.json'));
  try {
    return { status: 'found', file: requireFromProject.resolve(specifier) };
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code !== 'MODULE_NOT_FOUND' && code !== 'ERR_PACKAGE_PATH_NOT_EXPORTED') throw error;
  }

  // require.resolve refuses ESM-only packages whose `exports` offer only `import`; look at
  // the import conditions before giving up.
  const manifest = JSON.parse(
    readFileSync(path.join(packageDirectory, 'package.json'), 'utf8'),
  ) as {
    exports?: unknown;
  };
  const subpath = `.${specifier.slice(packageName.length)}`;
  const target =
    manifest.exports === undefined ? undefined : exportTarget(manifest.exports, subpath);
  if (target === undefined) {
    return manifest.exports === undefined
      ? { status: 'entry-missing', packageDirectory }
      : { status: 'not-exported', packageDirectory };
  }
  const file = path.resolve(packageDirectory, target);
  return existsSync(file)
    ? { status: 'found', file }
    : { status: 'entry-missing', packageDirectory };
}

/** The nearest `node_modules/<name>` from the project directory up to the root. */
function installedPackageDirectory(
  projectDirectory: string,
  packageName: string,
): string | undefined {
  let directory = path.resolve(projectDirectory);
  for (;;) {
    const candidate = path.join(directory, 'node_modules', packageName);
    if (existsSync(path.join(candidate, 'package.json'))) return candidate;
    const parent = path.dirname(directory);
    if (parent === directory) return undefined;
    directory = parent;
  }
}

/** `@scope/name/sub` → `@scope/name`; `name/sub` → `name`. */
export function packageNameOf(specifier: string): string {
  const parts = specifier.split('/');
  return specifier.startsWith('@') ? parts.slice(0, 2).join('/') : (parts[0] as string);
}

function exportTarget(exportsField: unknown, subpath: string): string | undefined {
  const isSubpathMap =
    typeof exportsField === 'object' &&
    exportsField !== null &&
    !Array.isArray(exportsField) &&
    Object.keys(exportsField).some((key) => key.startsWith('.'));
  if (!isSubpathMap) return subpath === '.' ? pickTarget(exportsField) : undefined;
  return pickTarget((exportsField as Record<string, unknown>)[subpath]);
}

function pickTarget(target: unknown): string | undefined {
  if (typeof target === 'string') return target;
  if (Array.isArray(target)) {
    for (const candidate of target) {
      const picked = pickTarget(candidate);
      if (picked !== undefined) return picked;
    }
    return undefined;
  }
  if (typeof target === 'object' && target !== null) {
    for (const [condition, value] of Object.entries(target)) {
      if (!importConditions.has(condition)) continue;
      const picked = pickTarget(value);
      if (picked !== undefined) return picked;
    }
  }
  return undefined;
}
