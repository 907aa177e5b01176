import { isMap, isPair, isScalar, isSeq, type Node } from 'yaml';
import { formatYamlPath } from './config-provenance.js';

/** Environment variables to interpolate from, like `process.env`. */
export type EnvironmentVariables = Readonly<Record<string, string | undefined>>;

/** One reference that could not be interpolated. */
export interface InterpolationProblem {
  /** Where the scalar holding the reference is. */
  readonly segments: readonly PropertyKey[];
  /** What is wrong and how to fix it; names variables, never values. */
  readonly message: string;
}

/** The result of interpolating one string. */
export interface InterpolatedString {
  /** The string with references replaced and `$${` turned into `${`. */
  readonly value: string;
  /** Whether any `${…}` reference was replaced: the value then counts as a secret. */
  readonly interpolated: boolean;
  /**
   * The environment values put into the string (defaults written in the file are not listed).
   * Each is a secret on its own: a message quoting part of the string must not show it.
   */
  readonly substituted: readonly string[];
  /** References that could not be replaced. */
  readonly problems: readonly string[];
}

// `$${` is an escaped literal, `${…}` a reference, a lone `${` an unclosed reference.
const referencePattern = /\$\$\{|\$\{([^}]*)\}|\$\{/g;
const variableName = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * Replaces `${NAME}` with the variable's value and `${NAME:-default}` with the value, or the
 * default when the variable is unset or empty; `$${` stays a literal `${`.
 */
export function interpolateString(
  text: string,
  environment: EnvironmentVariables,
): InterpolatedString {
  const problems: string[] = [];
  const substituted: string[] = [];
  let interpolated = false;
  const value = text.replace(referencePattern, (match: string, inner: string | undefined) => {
    if (match === '$${') return '${';
    if (inner === undefined) {
      // biome-ignore lint/suspicious/noTemplateCurlyInString: the message is about the ${ syntax itself.
      problems.push('"${" is not closed: add "}", or write "$${" for a literal "${"');
      return match;
    }
    const separator = inner.indexOf(':-');
    const name = separator < 0 ? inner : inner.slice(0, separator);
    if (!variableName.test(name)) {
      problems.push(
        `"\${${name}…}" is not a valid reference: write \${NAME} or \${NAME:-default} (NAME is letters, digits and _), or "$\${" for a literal "\${"`,
      );
      return match;
    }
    const found = environment[name];
    interpolated = true;
    if (found !== undefined && found !== '') substituted.push(found);
    if (separator >= 0)
      return found === undefined || found === '' ? inner.slice(separator + 2) : found;
    if (found === undefined) {
      problems.push(
        `environment variable ${name} is not set: set it before running (export ${name}=…), or give a default with \${${name}:-default}`,
      );
      return match;
    }
    return found;
  });
  return { value, interpolated, substituted, problems };
}

/**
 * Interpolates every string value of a parsed document in place (keys are left as written).
 *
 * @returns the YAML paths whose values came from the environment, every environment value
 *   put in (secrets wherever they appear), and what went wrong.
 */
export function interpolateDocument(
  root: Node | null,
  environment: EnvironmentVariables,
): {
  interpolatedPaths: Set<string>;
  environmentValues: Set<string>;
  problems: InterpolationProblem[];
} {
  const interpolatedPaths = new Set<string>();
  const environmentValues = new Set<string>();
  const problems: InterpolationProblem[] = [];

  const visit = (node: Node | null, segments: PropertyKey[]): void => {
    if (isScalar(node)) {
      if (typeof node.value !== 'string') return;
      const result = interpolateString(node.value, environment);
      node.value = result.value;
      if (result.interpolated) interpolatedPaths.add(formatYamlPath(segments));
      for (const substituted of result.substituted) environmentValues.add(substituted);
      for (const message of result.problems) problems.push({ segments, message });
    } else if (isMap(node)) {
      for (const pair of node.items) {
        if (!isPair(pair)) continue;
        const key = isScalar(pair.key) ? pair.key.value : pair.key;
        visit(pair.value as Node | null, [...segments, String(key)]);
      }
    } else if (isSeq(node)) {
      node.items.forEach((item, index) => {
        visit(item as Node | null, [...segments, index]);
      });
    }
  };

  visit(root, []);
  return { interpolatedPaths, environmentValues, problems };
}
