/**
 * Secrets that must never reach storage, for the environment capture tests. Built from
 * pieces so no scanner mistakes this file for a leak, and unique enough that finding one in
 * stored bytes can only mean it leaked.
 */
export const canaries = {
  /** Under a name that marks it secret. */
  namedApiKey: ['canary', 'named', 'api', 'key', '5f1e'].join('-'),
  /** Under a name that marks it secret. */
  namedPassword: ['canary', 'pass', 'word', '93ad'].join('-'),
  /** Shape only: an AWS access key id. */
  awsAccessKeyId: `${'AKIA'}Z7CANARY0EXAMPLE`,
  /** Shape only: a JWT. */
  jwt: [
    'eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9',
    'eyJzdWIiOiJjYW5hcnkiLCJuYW1lIjoiQ2Fpcm4ifQ',
    'c2lnbmF0dXJlLWNhbmFyeS0xMjM0NQ',
  ].join('.'),
  /** Shape only: an OpenAI-style project key. */
  openAiKey: `${'sk-'}proj-Canary4Tq9Zx2LmN8pRsVw3YbK6`,
  /** Shape only: the password of a URL. */
  urlPassword: ['Canary', 'Url', 'Pass', '71'].join('-'),
  /** Shape only: a GitHub token. */
  githubToken: `${'ghp_'}Canary0Token1Aa2Bb3Cc4Dd5Ee6Ff7Gg8Hh9`,
  /** Shape only: a random base64 key with no telling prefix. */
  highEntropy: 'VueGVK+kH2m8gqm2PSqh9gkX9fDEYZCjTlhbbCQW',
} as const;

/** Secrets that appear only in the git diff, never in the environment: found by shape alone. */
export const diffOnlyCanaries = {
  awsAccessKeyId: `${'AKIA'}Q4DIFFONLY0CANAR`,
  urlPassword: ['Diff', 'Only', 'Pass', '58'].join('-'),
  openAiKey: `${'sk-'}DiffOnly7Canary2Xy9Wv4Ut6Sr`,
} as const;

/** A database URL whose password is {@link canaries.urlPassword}. */
export const canaryDatabaseUrl = `postgres://app:${canaries.urlPassword}@db.example.com:5432/app`;

/** A PEM private key block (not a real key) whose body lines are canaries. */
export const canaryPrivateKeyLines = [
  '-----BEGIN RSA PRIVATE KEY-----',
  'MIIEcanaryPemLine1AbCdEfGhIjKlMnOpQrStUvWxYz0123456789abcdefghij',
  'MIIEcanaryPemLine2ZyXwVuTsRqPoNmLkJiHgFeDcBa9876543210zyxwvutsrq',
  'cAnArYtail42==',
  '-----END RSA PRIVATE KEY-----',
];

/** The body lines of {@link canaryPrivateKeyLines}, each of which must never be stored. */
export const canaryPrivateKeyBody = canaryPrivateKeyLines.slice(1, -1);

/** Every canary, for scanning stored bytes. */
export const allCanaries: readonly string[] = [...Object.values(canaries), ...canaryPrivateKeyBody];
