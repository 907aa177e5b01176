/**
 * Words that make a variable secret when they are a whole part of its name: `GITHUB_TOKEN`,
 * `OPENAI_API_KEY`, `npm_config__authToken`, `SENTRY_DSN`. Matching parts, not substrings,
 * keeps `TOKENIZERS_PARALLELISM`, `KEYBOARD` and `AUTHOR_NAME` readable.
 */
const secretNameParts: ReadonlySet<string> = new Set([
  'key',
  'keys',
  'apikey',
  'token',
  'tokens',
  'secret',
  'secrets',
  'password',
  'passwords',
  'passwd',
  'pass',
  'passphrase',
  'credential',
  'credentials',
  'creds',
  'auth',
  'oauth',
  'bearer',
  'jwt',
  'private',
  'privkey',
  'session',
  'cookie',
  'cookies',
  'signature',
  'sig',
  'dsn',
  'salt',
  'otp',
]);

/**
 * Runs of letters that mark a secret wherever they appear in a name, because they are not
 * part of ordinary words: `PGPASSWORD`, `DBSECRET`, `AZURE_STORAGE_CONNECTIONSTRING`.
 */
const secretNameFragments: readonly string[] = [
  'password',
  'passwd',
  'passphrase',
  'secret',
  'credential',
  'apikey',
  'accesskey',
  'privatekey',
  'connectionstring',
];

/**
 * Well-known variables whose names look secret but whose values never are: a socket path
 * and session descriptions set by the OS. Their values are still checked by shape.
 */
const harmlessNames: ReadonlySet<string> = new Set([
  'SSH_AUTH_SOCK',
  'XDG_SESSION_TYPE',
  'XDG_SESSION_CLASS',
  'XDG_SESSION_DESKTOP',
]);

/**
 * Splits a variable name into lowercase parts at `_`, `-`, `.`, spaces and camelCase
 * boundaries: `AWS_SECRET_ACCESS_KEY` → aws, secret, access, key; `githubAPIToken` → github,
 * api, token.
 */
export function nameParts(name: string): string[] {
  return name
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .replace(/([A-Z]+)([A-Z][a-z])/g, '$1 $2')
    .split(/[^A-Za-z0-9]+/)
    .filter((part) => part.length > 0)
    .map((part) => part.toLowerCase());
}

/**
 * Whether a variable's name says its value is secret (case-insensitive).
 *
 * @param extraNames - more names to treat as secret, matched whole and case-insensitively.
 */
export function isSecretVariableName(name: string, extraNames: readonly string[] = []): boolean {
  const upper = name.toUpperCase();
  if (extraNames.some((extra) => extra.toUpperCase() === upper)) return true;
  if (harmlessNames.has(upper)) return false;
  const parts = nameParts(name);
  if (parts.some((part) => secretNameParts.has(part))) return true;
  // `DATABASEPASSWORD` has no separators: look for fragments across the joined name too.
  const joined = parts.join('');
  return secretNameFragments.some((fragment) => joined.includes(fragment));
}
