import { scrubContextSecrets } from './secret-contexts.js';
import { secretEnvironmentValues } from './secret-environment-values.js';
import { redactedMarker, scrubSecretShapes } from './secret-shapes.js';

/** Options of {@link scrubErrorText}. */
export interface ScrubErrorTextOptions {
  /**
   * The variables whose secret-named values are hidden wherever they appear (default
   * `process.env`, read at each call so a key set after start-up counts).
   */
  readonly environment?: Readonly<Record<string, string | undefined>>;
}

/**
 * Hides the secrets an error message or stack may quote before it is stored or logged:
 *
 * 1. the values of environment variables whose names mark them secret (`OPENAI_API_KEY`…),
 *    at least 8 characters long, verbatim or URL-encoded;
 * 2. secrets given away by their context: `Authorization` credentials, `Bearer` tokens, and
 *    the values of secret names (`?key=…`, `api_key=…`, `"password": "…"`, `X-Api-Key: …`);
 * 3. secrets recognised by their shape (`sk-…`, `AIza…`, `AKIA…`, JWTs, PEM private keys,
 *    URL passwords, long random tokens; see `findSecrets`).
 *
 * Each is replaced with `[redacted]`; a text with none comes back unchanged.
 */
export function scrubErrorText(text: string, options: ScrubErrorTextOptions = {}): string {
  let result = text;
  const longestFirst = [...secretEnvironmentValues(options.environment)].sort(
    (left, right) => right.length - left.length,
  );
  for (const value of longestFirst) {
    if (result.includes(value)) result = result.split(value).join(redactedMarker);
  }
  return scrubSecretShapes(scrubContextSecrets(result)).text;
}
