import { createFromConfig } from '../config/create-from-config.js';
import { loadConfig } from '../config/load-config.js';
import type { Logger } from '../logging/logger.js';
import { temporaryProjects } from './temporary-project.js';

/**
 * Temporary projects holding a `cairn.config.yaml` (plus any `files`), and a way to load and
 * build one as an application would. Call once at the top level of a test file.
 */
export function configProjects(prefix: string) {
  const createProject = temporaryProjects(prefix, { linkZod: true });
  return {
    /** A project whose config is `config`, with extra files beside it. */
    projectWith(config: string, files: Record<string, string> = {}): Promise<string> {
      return createProject({ 'cairn.config.yaml': config, ...files });
    },
    /** Loads the project's config (no environment variables) and builds its plugins. */
    async build(directory: string, logger?: Logger) {
      const loaded = await loadConfig({ projectDirectory: directory, environment: {} });
      return createFromConfig(loaded, {
        projectDirectory: directory,
        ...(logger ? { logger } : {}),
      });
    },
  };
}
