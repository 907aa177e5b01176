import { isSecretVariableName } from '../secrets/secret-names.js';
import { findSecrets, redactedMarker } from '../secrets/secret-shapes.js';

/** Options of {@link redactEnvironmentVariables}. */
export interface RedactEnvironmentVariablesOptions {
  /** More variable names whose values are secret, matched whole and case-insensitively. */
  readonly secretNames?: readonly string[];
}

/** Environment variables with their secret values replaced. */
export interface RedactedEnvironmentVariables {
  /** Every variable that had a value, sorted by name; secret values are `[redacted]`. */
  readonly variables: Record<string, string>;
  /** Names of the variables whose values were replaced, sorted. */
  readonly redacted: string[];
}

/**
 * Secret values shorter than this are not searched for in other texts (the git diff): hiding
 * every `1234` or `none` would garble the text, and a secret that short is guessable anyway.
 */
export const shortestScrubbedSecretValue = 6;

/** {@link RedactedEnvironmentVariables} plus the values that were hidden, for scrubbing. */
export interface VariableRedaction extends RedactedEnvironmentVariables {
  /**
   * The hidden values (and the secret parts found inside them), at least
   * {@link shortestScrubbedSecretValue} characters long. Never store or log these.
   */
  readonly secretValues: ReadonlySet<string>;
}

/**
 * {@link redactEnvironmentVariables}, also returning the hidden values so other texts (the
 * git diff) can be scrubbed of them. Kept out of the public API so the values are not handed
 * around.
 */
export function redactVariables(
  variables: Readonly<Record<string, string | undefined>>,
  options: RedactEnvironmentVariablesOptions = {},
): VariableRedaction {
  const kept: Record<string, string> = {};
  const redacted: string[] = [];
  const secretValues = new Set<string>();
  const names = Object.keys(variables).sort();
  for (const name of names) {
    const value = variables[name];
    if (value === undefined) continue;
    const spans = findSecrets(value);
    if (isSecretVariableName(name, options.secretNames) || spans.length > 0) {
      // The whole value goes, even when only a part (a URL's password) is secret: the rest of
      // a secret-bearing value is rarely worth the risk of a detector missing an edge.
      kept[name] = redactedMarker;
      redacted.push(name);
      if (value.length >= shortestScrubbedSecretValue) secretValues.add(value);
      for (const span of spans) {
        const secret = value.slice(span.start, span.end);
        if (secret.length >= shortestScrubbedSecretValue) secretValues.add(secret);
      }
    } else {
      kept[name] = value;
    }
  }
  return { variables: kept, redacted, secretValues };
}

/**
 * Replaces secret values of environment variables with `[redacted]`. A value is secret when
 * its variable's name has a secret-marking part (`KEY`, `TOKEN`, `SECRET`, `PASSWORD`,
 * `PASSWD`, `CREDENTIAL`, `AUTH`, `PRIVATE`, `SESSION`, `COOKIE`, `SIGNATURE`, `DSN`, …,
 * case-insensitive), when the name is in `secretNames`, or when the value contains something
 * shaped like a secret (see {@link looksSecret}). The whole value is then replaced, even
 * when only part of it is secret: a `postgres://user:password@host/db` value becomes
 * `[redacted]`, host and all (in free text such as the git diff, only the password is).
 * Variables whose value is `undefined` are left out.
 *
 * @returns the variables sorted by name and the names that were redacted (names only).
 */
export function redactEnvironmentVariables(
  variables: Readonly<Record<string, string | undefined>>,
  options: RedactEnvironmentVariablesOptions = {},
): RedactedEnvironmentVariables {
  const { variables: kept, redacted } = redactVariables(variables, options);
  return { variables: kept, redacted };
}
