import { type ConfigProvenance, formatYamlPath } from './config-provenance.js';

/** Option names that hold secrets whatever the plugin declares. */
const secretNamePattern = /key|token|secret|password|credential|auth/i;

/** Shorter values are left alone: scrubbing `1` or `on` from a message would garble it. */
const shortestScrubbedLength = 3;

/**
 * Shorter environment values are left alone: `${PORT}` = `8080` is scrubbed, `${DEBUG}` = `1`
 * is not. Longer than for named secrets because these are scrubbed from every message, not
 * only near the option that holds them.
 */
const shortestEnvironmentValueScrubbed = 4;

/** What marks a value as secret, besides its name. */
export interface SecretRules {
  /** Formatted YAML paths whose values came from `${ENV}` interpolation. */
  readonly interpolatedPaths: ReadonlySet<string>;
  /** Every value `${ENV}` interpolation put in, whole or inside a longer string. */
  readonly environmentValues?: Iterable<string>;
  /** Option names a plugin declared secret (its manifest's `secretOptions`). */
  readonly secretOptions?: readonly string[];
}

/** The secret rules a config's provenance implies, plus the option names plugins declared. */
export function secretRulesOf(
  provenance: ConfigProvenance,
  secretOptions?: readonly string[],
): SecretRules {
  return {
    interpolatedPaths: provenance.interpolatedPaths,
    ...(provenance.environmentValues ? { environmentValues: provenance.environmentValues() } : {}),
    ...(secretOptions ? { secretOptions } : {}),
  };
}

/** Whether an option name marks its value as a secret. */
export function isSecretName(name: string, secretOptions: readonly string[] = []): boolean {
  return secretOptions.includes(name) || secretNamePattern.test(name);
}

/**
 * Every string that must never be shown: values below `value` under a secret-looking name,
 * under a name the plugin declared secret, or interpolated from the environment; and every
 * environment value interpolated anywhere (a part of a string is as secret as the whole).
 *
 * @param basePath - where `value` sits in the config, so interpolated paths can be matched.
 */
export function collectSecretValues(
  value: unknown,
  basePath: readonly PropertyKey[],
  rules: SecretRules,
): Set<string> {
  const secrets = new Set<string>();
  const walk = (node: unknown, segments: PropertyKey[], underSecretName: boolean): void => {
    if (typeof node === 'string') {
      const secret = underSecretName || rules.interpolatedPaths.has(formatYamlPath(segments));
      if (secret && node.length >= shortestScrubbedLength) secrets.add(node);
      return;
    }
    if (typeof node === 'number' || typeof node === 'bigint') {
      const secret = underSecretName || rules.interpolatedPaths.has(formatYamlPath(segments));
      if (secret && String(node).length >= shortestScrubbedLength) secrets.add(String(node));
      return;
    }
    if (Array.isArray(node)) {
      node.forEach((item, index) => {
        walk(item, [...segments, index], underSecretName);
      });
      return;
    }
    if (typeof node === 'object' && node !== null) {
      for (const [key, child] of Object.entries(node)) {
        walk(child, [...segments, key], underSecretName || isSecretName(key, rules.secretOptions));
      }
    }
  };
  walk(value, [...basePath], false);
  for (const environmentValue of rules.environmentValues ?? []) {
    if (environmentValue.length >= shortestEnvironmentValueScrubbed) secrets.add(environmentValue);
  }
  return secrets;
}

/** Replaces every secret value found in `text` with `[redacted]`, longest first. */
export function scrub(text: string, secrets: ReadonlySet<string>): string {
  let result = text;
  const longestFirst = [...secrets].sort((left, right) => right.length - left.length);
  for (const secret of longestFirst) result = result.split(secret).join('[redacted]');
  return result;
}

/** Every string (of at least `shortestLength` characters) anywhere below `value`. */
export function collectStrings(value: unknown, shortestLength: number): Set<string> {
  const found = new Set<string>();
  const walk = (node: unknown): void => {
    if (typeof node === 'string') {
      if (node.length >= shortestLength) found.add(node);
    } else if (Array.isArray(node)) {
      for (const item of node) walk(item);
    } else if (typeof node === 'object' && node !== null) {
      for (const child of Object.values(node)) walk(child);
    }
  };
  walk(value);
  return found;
}
