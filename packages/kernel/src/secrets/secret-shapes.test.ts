import { describe, expect, it } from 'vitest';
import {
  canaries,
  canaryDatabaseUrl,
  canaryPrivateKeyBody,
  canaryPrivateKeyLines,
} from '../testing/environment-canaries.js';
import { isHighEntropyToken, shannonEntropy } from './high-entropy.js';
import { findSecrets, looksSecret, scrubSecretShapes } from './secret-shapes.js';

describe('looksSecret', () => {
  it.each([
    ['an AWS access key id', canaries.awsAccessKeyId],
    ['an AWS temporary key id', `${'ASIA'}Z7CANARY0EXAMPLE`],
    ['a JWT', canaries.jwt],
    ['an OpenAI project key', canaries.openAiKey],
    ['an OpenAI key', `${'sk-'}Canary4Tq9Zx2LmN8pRsVw3YbK6`],
    ['a Stripe secret key', `${'sk_'}live_Canary4Tq9Zx2LmN8pRs`],
    ['a GitHub token', canaries.githubToken],
    ['a GitHub fine-grained token', `${'github_pat_'}11Canary0Token_1Aa2Bb3Cc4Dd5Ee6Ff7Gg`],
    ['a Slack bot token', `${'xoxb-'}1234567890-canaryslack`],
    ['a Hugging Face token', `${'hf_'}Canary0Token1Aa2Bb3Cc4Dd5Ee6Ff7`],
    ['a URL with a password', canaryDatabaseUrl],
    ['a Redis URL with only a password', 'redis://:Canary-Redis-9@cache:6379/0'],
    ['a PEM private key', canaryPrivateKeyLines.join('\n')],
    ['a PEM private key with escaped newlines', canaryPrivateKeyLines.join('\\n')],
    ['a random base64 key', canaries.highEntropy],
    ['a random base64url key', 'I6WrbZ6UEIYr1qEp14Jy1iKkclcQ3xTz'],
    ['a random hex key', 'c8b60fc6eb127f8aa54cb117325f26ff1d0e6d6c'],
    ['a key inside a longer value', `--api-key=${canaries.openAiKey} --verbose`],
  ])('recognises %s', (_what, value) => {
    expect(looksSecret(value)).toBe(true);
  });

  it.each([
    [
      'a PATH',
      '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin:/home/user/.nvm/versions/node/v20.20.2/bin:/home/user/.cache/ms-playwright/chromium-1091/chrome-linux',
    ],
    ['a deep path', '/usr/lib/x86_64-linux-gnu/pkgconfig/something/else/entirely'],
    ['a package path', 'node_modules/@cairn/kernel/dist/environment/capture-environment.d.ts'],
    ['a home directory', '/home/someone'],
    ['a locale', 'en_US.UTF-8'],
    ['a terminal', 'xterm-256color'],
    ['Node options', '--max-old-space-size=4096 --enable-source-maps'],
    ['a user agent', 'pnpm/10.34.9 npm/? node/v20.20.2 linux x64'],
    ['a UUID', '550e8400-e29b-41d4-a716-446655440000'],
    ['a long identifier', 'createMirroredStorageOptionsSchemaValidation'],
    ['a kebab-case name', 'the-quick-brown-fox-jumps-over-the-lazy-dog'],
    ['a build tag', 'x86_64-unknown-linux-gnu-gcc-12-release'],
    [
      'an integrity hash',
      'sha512-VueGVK+kH2m8gqm2PSqh9gkX9fDEYZCjTlhbbCQWc8b60fc6eb127f8aa54cb1==',
    ],
    ['a URL without a password', 'https://someone@example.com/path'],
    ['a URL with a port', 'https://example.com:8080/path?query=1'],
    ['a task name', 'task-manager-service-long-name-value-01'],
    ['LS_COLORS', 'rs=0:di=01;34:ln=01;36:mh=00:pi=40;33:so=01;35:do=01;35:bd=40;33;01'],
    ['a short word', 'true'],
    ['repeated characters', 'a'.repeat(64)],
  ])('leaves %s alone', (_what, value) => {
    expect(findSecrets(value)).toEqual([]);
  });
});

describe('scrubSecretShapes', () => {
  it('replaces only the password of a URL', () => {
    const { text, redactions } = scrubSecretShapes(`DATABASE_URL=${canaryDatabaseUrl}`);
    expect(text).toBe('DATABASE_URL=postgres://app:[redacted]@db.example.com:5432/app');
    expect(redactions).toBe(1);
  });

  it('hides a password holding an unescaped @ whole', () => {
    const { text } = scrubSecretShapes('mysql://root:pa55@word!x@db:3306/app');
    expect(text).toBe('mysql://root:[redacted]@db:3306/app');
  });

  it('keeps the surrounding text and counts each secret', () => {
    const input = `key ${canaries.awsAccessKeyId} and ${canaries.jwt}.`;
    const { text, redactions } = scrubSecretShapes(input);
    expect(text).toBe('key [redacted] and [redacted].');
    expect(redactions).toBe(2);
  });

  it('keeps the lines and diff markers of a private key', () => {
    const diff = canaryPrivateKeyLines.map((line) => `+${line}`).join('\n');
    const { text } = scrubSecretShapes(diff);
    expect(text.split('\n')).toEqual([
      '+-----BEGIN RSA PRIVATE KEY-----',
      '+[redacted]',
      '+[redacted]',
      '+[redacted]',
      '+-----END RSA PRIVATE KEY-----',
    ]);
    for (const line of canaryPrivateKeyBody) expect(text).not.toContain(line);
  });

  it('hides the rest of a private key that never ends', () => {
    const cut = canaryPrivateKeyLines.slice(0, 3).join('\n');
    const { text } = scrubSecretShapes(cut);
    expect(text).toBe('-----BEGIN RSA PRIVATE KEY-----\n[redacted]\n[redacted]');
  });

  it('does not count [redacted] as a password again', () => {
    const once = scrubSecretShapes(canaryDatabaseUrl).text;
    expect(scrubSecretShapes(once)).toEqual({ text: once, redactions: 0 });
  });

  it('returns the text unchanged when there is nothing to hide', () => {
    expect(scrubSecretShapes('nothing here')).toEqual({ text: 'nothing here', redactions: 0 });
  });
});

describe('isHighEntropyToken', () => {
  it('needs at least 32 characters', () => {
    expect(isHighEntropyToken(canaries.highEntropy.slice(0, 31))).toBe(false);
    expect(isHighEntropyToken(canaries.highEntropy.slice(0, 32))).toBe(true);
  });

  it('accepts base32 keys with one letter case and digits', () => {
    expect(isHighEntropyToken('JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXQ7KZ4')).toBe(true);
  });

  it('rejects hex without digits or letters', () => {
    expect(isHighEntropyToken('0123456789'.repeat(4))).toBe(false);
    expect(isHighEntropyToken('abcdefabcdef'.repeat(3))).toBe(false);
  });
});

describe('shannonEntropy', () => {
  it('is 0 for one repeated character and log2(n) for n distinct ones', () => {
    expect(shannonEntropy('aaaa')).toBe(0);
    expect(shannonEntropy('abcd')).toBe(2);
  });
});
