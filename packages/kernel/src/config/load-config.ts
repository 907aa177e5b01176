import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { isMap, isSeq, LineCounter, parseDocument } from 'yaml';
import { CairnError } from '../errors/cairn-error.js';
import { type Logger, silentLogger } from '../logging/logger.js';
import { configIssuesError, configProblemError, locateIssues } from './config-issues.js';
import {
  type ConfigProvenance,
  collectLocations,
  displayNameOf,
  formatYamlPath,
  locate,
} from './config-provenance.js';
import { type CairnConfig, cairnConfigSchema } from './config-schema.js';
import { type EnvironmentVariables, interpolateDocument } from './interpolate-environment.js';
import { collectSecretValues, secretRulesOf } from './redact.js';
import { locateYamlSyntaxErrors } from './yaml-syntax-errors.js';

/** The file names looked for in the project directory, in order. */
export const configFileNames: readonly string[] = ['cairn.config.yaml', 'cairn.config.yml'];

/** What {@link loadConfig} needs. */
export interface LoadConfigOptions {
  /** The project directory: where the config is looked for and plugins are resolved from. */
  readonly projectDirectory: string;
  /** A config file to use instead of looking for one; relative to `projectDirectory`. */
  readonly file?: string;
  /** Variables for `${NAME}` interpolation; defaults to `process.env`. */
  readonly environment?: EnvironmentVariables;
  /** Where to log what was loaded (never values); silent by default. */
  readonly logger?: Logger;
}

/** A validated config and where each part of it came from. */
export interface LoadedConfig {
  /** The validated config, with `${…}` references replaced. */
  readonly config: CairnConfig;
  /** The file and the position of every YAML path, for later error messages. */
  readonly provenance: ConfigProvenance;
}

const exampleConfig = ['storage:', '  use: fs', '  options:', '    root: .cairn'].join('\n');

/**
 * Finds, reads, parses and validates `cairn.config.yaml`, replacing `${NAME}` references in
 * string values with environment variables (`${NAME:-default}` for a fallback, `$${` for a
 * literal `${`). Interpolated values are always strings.
 *
 * Plugin options are not checked here (that needs the plugin); see `createFromConfig`.
 *
 * @throws `NOT_FOUND` when there is no config file; `INVALID_CONFIG` when it cannot be read,
 *   parsed, interpolated or validated. Every message names the file, line, column and YAML
 *   path, and never a value.
 */
export async function loadConfig(options: LoadConfigOptions): Promise<LoadedConfig> {
  const projectDirectory = path.resolve(options.projectDirectory);
  const logger = options.logger ?? silentLogger;
  const file = await findConfigFile(projectDirectory, options.file);
  const displayName = displayNameOf(file, projectDirectory);

  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    throw new CairnError({
      code: 'INVALID_CONFIG',
      backend: 'config',
      message: `Could not read ${file} (${(error as NodeJS.ErrnoException).code ?? 'read error'}). Check that it is a readable file, not a directory.`,
      cause: error,
      details: { file },
    });
  }

  const lineCounter = new LineCounter();
  const document = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  if (document.errors.length > 0) {
    const problems = locateYamlSyntaxErrors(document.errors, text, lineCounter);
    const listed = problems.map(
      (problem) => `${displayName}:${problem.line}:${problem.column}: ${problem.reason}`,
    );
    throw new CairnError({
      code: 'INVALID_CONFIG',
      backend: 'config',
      message:
        listed.length === 1
          ? `${listed[0]}. Fix the YAML syntax there.`
          : `${displayName} is not valid YAML:\n${listed.map((entry) => `  - ${entry}`).join('\n')}\nFix the YAML syntax there.`,
      details: { file, issues: problems },
    });
  }

  const root = document.contents;
  if (root === null) {
    throw new CairnError({
      code: 'INVALID_CONFIG',
      backend: 'config',
      message: `${displayName} is empty. Pick at least a storage, for example:\n\n${exampleConfig}\n`,
      details: { file },
    });
  }
  const locations = collectLocations(root, lineCounter);
  const unlocated: ConfigProvenance = {
    file,
    displayName,
    locations,
    interpolatedPaths: new Set(),
  };
  if (!isMap(root)) {
    throw configProblemError(
      'INVALID_CONFIG',
      unlocated,
      [],
      `the top level must be a mapping of keys (storage, backup, …), not a ${isSeq(root) ? 'list' : 'single value'}. For example:\n\n${exampleConfig}\n`,
    );
  }

  const { interpolatedPaths, environmentValues, problems } = interpolateDocument(
    root,
    options.environment ?? process.env,
  );
  const provenance: ConfigProvenance = {
    file,
    displayName,
    locations,
    interpolatedPaths,
    environmentValues: () => environmentValues,
  };
  if (problems.length > 0) {
    throw configIssuesError({
      code: 'INVALID_CONFIG',
      provenance,
      subject: 'environment interpolation',
      hint: 'Set the variables before running Cairn, or give defaults.',
      issues: problems.map((problem) => {
        const location = locate(provenance, problem.segments);
        return {
          yamlPath: formatYamlPath(problem.segments),
          ...(location ? { line: location.line, column: location.column } : {}),
          code: 'interpolation',
          message: problem.message,
        };
      }),
    });
  }

  let data: unknown;
  try {
    data = document.toJS({ maxAliasCount: 100 });
  } catch (error) {
    throw new CairnError({
      code: 'INVALID_CONFIG',
      backend: 'config',
      message: `${displayName} could not be read as data: ${(error as Error).message}. Check its anchors and aliases (*name must refer to an earlier &name).`,
      cause: error,
      details: { file },
    });
  }

  const parsed = cairnConfigSchema.safeParse(data);
  if (!parsed.success) {
    throw configIssuesError({
      code: 'INVALID_CONFIG',
      provenance,
      subject: 'the config',
      hint: `Fix ${parsed.error.issues.length === 1 ? 'it' : 'them'} in ${displayName}.`,
      issues: locateIssues(parsed.error.issues, {
        provenance,
        basePath: [],
        input: data,
        schema: cairnConfigSchema,
        noun: 'key',
        secrets: collectSecretValues(data, [], secretRulesOf(provenance)),
      }),
    });
  }

  for (const warning of document.warnings) {
    const { line, col } = lineCounter.linePos(warning.pos[0]);
    logger.warn({ file, line, column: col, code: warning.code }, warning.message);
  }
  logger.debug({ file, interpolated: interpolatedPaths.size }, 'cairn config loaded');
  return { config: parsed.data, provenance };
}

async function findConfigFile(projectDirectory: string, file: string | undefined): Promise<string> {
  if (file !== undefined) {
    const resolved = path.resolve(projectDirectory, file);
    if (!(await exists(resolved))) {
      throw new CairnError({
        code: 'NOT_FOUND',
        backend: 'config',
        message: `Config file ${resolved} does not exist. Check the path (relative paths start from ${projectDirectory}).`,
        details: { file: resolved },
      });
    }
    return resolved;
  }
  const candidates = configFileNames.map((name) => path.join(projectDirectory, name));
  const found: string[] = [];
  for (const candidate of candidates) if (await exists(candidate)) found.push(candidate);
  if (found.length > 1) {
    throw new CairnError({
      code: 'INVALID_CONFIG',
      backend: 'config',
      message: `Both ${found.join(' and ')} exist; Cairn would not know which to use. Keep one and delete the other.`,
      details: { files: found },
    });
  }
  if (found.length === 0) {
    throw new CairnError({
      code: 'NOT_FOUND',
      backend: 'config',
      message: `No cairn.config.yaml in ${projectDirectory} (looked for ${configFileNames.join(' and ')}). Create ${path.join(projectDirectory, 'cairn.config.yaml')}, for example:\n\n${exampleConfig}\n`,
      details: { projectDirectory, looked: candidates },
    });
  }
  return found[0] as string;
}

async function exists(candidate: string): Promise<boolean> {
  try {
    await stat(candidate);
    return true;
  } catch {
    return false;
  }
}
