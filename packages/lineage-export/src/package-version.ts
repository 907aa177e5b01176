import { readFileSync } from 'node:fs';

/**
 * This package's version, read once from its `package.json` (beside `src/` and `dist/` alike);
 * undefined where that file cannot be read, e.g. inside a bundle.
 */
export const lineageExportVersion: string | undefined = (() => {
  try {
    const manifest = JSON.parse(
      readFileSync(new URL('../package.json', import.meta.url), 'utf8'),
    ) as { name?: unknown; version?: unknown };
    return manifest.name === '@cairn/lineage-export' && typeof manifest.version === 'string'
      ? manifest.version
      : undefined;
  } catch {
    return undefined;
  }
})();

/**
 * The default OpenLineage `producer`: this package's source at the release tag changesets
 * gives it (`@cairn/lineage-export@0.2.0`), as the spec suggests (a git URL with a tag), or
 * at `main` when the version is unknown.
 */
export const defaultProducer = `https://github.com/cairn-dev/cairn/tree/${
  lineageExportVersion === undefined ? 'main' : `@cairn/lineage-export@${lineageExportVersion}`
}/packages/lineage-export`;
