import { isSecretNameRemembered } from './remembered-secret-names.js';

/**
 * Shorter values are not scrubbed from error texts: a secret-named variable set to `1`, `on`
 * or `admin` would otherwise garble every message that happens to contain those letters.
 */
export const shortestScrubbedEnvironmentValue = 8;

/**
 * The values of the variables whose names mark them secret (`OPENAI_API_KEY`,
 * `DATABASE_PASSWORD`…), at least {@link shortestScrubbedEnvironmentValue} characters long,
 * each with its URL-encoded form when that differs (a key quoted in a request URL).
 *
 * @param environment - the variables to look at (default `process.env`, read at each call).
 */
export function secretEnvironmentValues(
  environment: Readonly<Record<string, string | undefined>> = process.env,
): Set<string> {
  const values = new Set<string>();
  for (const [name, value] of Object.entries(environment)) {
    if (value === undefined || value.length < shortestScrubbedEnvironmentValue) continue;
    // Names are judged once and remembered; values are read at every call, as they may change.
    if (!isSecretNameRemembered(name)) continue;
    values.add(value);
    const encoded = encodeURIComponent(value);
    if (encoded !== value) values.add(encoded);
  }
  return values;
}
