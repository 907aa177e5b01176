import { pluginKindLabels } from './builtin-plugins.js';
import {
  configIssuesError,
  configProblemError,
  locateIssues,
  type SchemaIssue,
} from './config-issues.js';
import { type ConfigProvenance, inMemoryProvenance, parseYamlPath } from './config-provenance.js';
import type { PluginManifest } from './plugin.js';
import { collectSecretValues, collectStrings, scrub, secretRulesOf } from './redact.js';

/** Where the options being validated sit in the config. */
export interface ValidatePluginOptionsOptions {
  /** The YAML path of the plugin reference, e.g. `storage` or `metadataSources[0]`. */
  readonly yamlPath: string;
  /** Where the config came from, so errors name the file and line. */
  readonly provenance?: ConfigProvenance;
}

interface ParseResult {
  readonly success: boolean;
  readonly data?: unknown;
  readonly error?: { readonly issues: readonly SchemaIssue[] };
}

interface ParsingSchema {
  safeParse(value: unknown): ParseResult;
  safeParseAsync?(value: unknown): Promise<ParseResult>;
}

/**
 * Checks a plugin's `options:` with the plugin's own zod schema and returns the parsed
 * options (defaults applied).
 *
 * @throws `INVALID_OPTIONS` listing every problem as `file:line:column yaml.path: expected …`.
 *   No received value is ever quoted, and values of secret options (declared in
 *   `secretOptions`, named like key/token/secret/password/credential/auth, or interpolated
 *   from the environment) are scrubbed even from messages a custom schema writes.
 */
export async function validatePluginOptions<Manifest extends PluginManifest>(
  manifest: Manifest,
  options: unknown,
  where: ValidatePluginOptionsOptions,
): Promise<unknown> {
  const provenance = where.provenance ?? inMemoryProvenance();
  const basePath = [...parseYamlPath(where.yamlPath), 'options'];
  const secrets = collectSecretValues(
    options,
    basePath,
    secretRulesOf(provenance, manifest.secretOptions),
  );
  const schema = manifest.optionsSchema as unknown as ParsingSchema;
  const subject = `options of ${pluginKindLabels[manifest.kind]} plugin "${manifest.name}"`;

  let result: ParseResult;
  try {
    // The async form also runs async refinements (e.g. a check that a bucket exists).
    result = schema.safeParseAsync
      ? await schema.safeParseAsync(options)
      : schema.safeParse(options);
  } catch (error) {
    // The thrown error's message may quote what it was given: every value is scrubbed from
    // it, and the error itself is not kept as the cause.
    const everyValue = new Set([...secrets, ...collectStrings(options, 4)]);
    const reason = scrub(
      String((error as Error)?.message ?? error).split('\n')[0] ?? '',
      everyValue,
    );
    throw configProblemError(
      'INVALID_OPTIONS',
      provenance,
      basePath,
      `the ${subject} could not be checked: its schema threw "${reason}". Report this to the plugin's authors.`,
    );
  }
  if (result.success) return result.data;

  const issues = locateIssues(result.error?.issues ?? [], {
    provenance,
    basePath,
    input: options,
    schema: manifest.optionsSchema,
    noun: 'option',
    secrets,
  });
  throw configIssuesError({
    code: 'INVALID_OPTIONS',
    provenance,
    issues,
    subject,
    hint: `Fix ${issues.length === 1 ? 'it' : 'them'} in ${provenance.displayName}; the plugin's README lists its options.`,
  });
}
