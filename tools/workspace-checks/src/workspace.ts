import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The monorepo root: this file lives in tools/workspace-checks/src. */
export const workspaceRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');

/** The parts of package.json these checks read. */
export interface PackageManifest {
  name: string;
  version: string;
  private?: boolean;
  packageManager?: string;
  type?: string;
  license?: string;
  files?: string[];
  engines?: Record<string, string>;
  exports?: Record<string, unknown>;
  scripts?: Record<string, string>;
  dependencies?: Record<string, string>;
  devDependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
}

/** A workspace project: its directory (relative to the root) and manifest. */
export interface WorkspaceProject {
  directory: string;
  manifest: PackageManifest;
}

/** Every project in the folders pnpm-workspace.yaml names. */
export function listProjects(): WorkspaceProject[] {
  const projects: WorkspaceProject[] = [];
  for (const group of ['packages', 'apps', 'tools']) {
    const groupDirectory = join(workspaceRoot, group);
    if (!existsSync(groupDirectory)) continue;
    for (const entry of readdirSync(groupDirectory).sort()) {
      const manifestPath = join(groupDirectory, entry, 'package.json');
      if (!existsSync(manifestPath)) continue;
      const manifest = JSON.parse(readFileSync(manifestPath, 'utf8')) as PackageManifest;
      projects.push({ directory: `${group}/${entry}`, manifest });
    }
  }
  return projects;
}

/** Projects that are published to npm. */
export function listPublishedProjects(): WorkspaceProject[] {
  return listProjects().filter((project) => project.manifest.private !== true);
}
