import { describe, expect, it } from 'vitest';
import { isSecretVariableName, nameParts } from './secret-names.js';

describe('nameParts', () => {
  it('splits at separators and camelCase boundaries, lowercased', () => {
    expect(nameParts('AWS_SECRET_ACCESS_KEY')).toEqual(['aws', 'secret', 'access', 'key']);
    expect(nameParts('githubAPIToken')).toEqual(['github', 'api', 'token']);
    expect(nameParts('npm_config__authToken')).toEqual(['npm', 'config', 'auth', 'token']);
    expect(nameParts('my.service-Key')).toEqual(['my', 'service', 'key']);
  });
});

describe('isSecretVariableName', () => {
  it.each([
    'AWS_SECRET_ACCESS_KEY',
    'AWS_SESSION_TOKEN',
    'GITHUB_TOKEN',
    'OPENAI_API_KEY',
    'CAIRN_CANARY_API_KEY',
    'MY_PASSWORD',
    'DB_PASSWD',
    'PGPASSWORD',
    'SMTP_PASS',
    'GOOGLE_APPLICATION_CREDENTIALS',
    'NPM_AUTH',
    'npm_config__authToken',
    'SSH_PRIVATE_KEY',
    'SESSION_COOKIE',
    'WEBHOOK_SIGNATURE',
    'SENTRY_DSN',
    'AZURE_STORAGE_CONNECTIONSTRING',
    'stripeApiKey',
    'wandb_api_key',
  ])('%s is secret', (name) => {
    expect(isSecretVariableName(name)).toBe(true);
  });

  it.each([
    'PATH',
    'HOME',
    'LANG',
    'PWD',
    'OLDPWD',
    'TERM',
    'SHELL',
    'TOKENIZERS_PARALLELISM',
    'KEYBOARD_LAYOUT',
    'AUTHOR_NAME',
    'NODE_OPTIONS',
    'SSH_AUTH_SOCK',
    'XDG_SESSION_TYPE',
    'DATABASE_URL',
  ])('%s is not secret by its name', (name) => {
    expect(isSecretVariableName(name)).toBe(false);
  });

  it('treats extra names as secret, whole and case-insensitively', () => {
    expect(isSecretVariableName('MY_DATABASE_URL', ['my_database_url'])).toBe(true);
    expect(isSecretVariableName('MY_DATABASE_URL_2', ['MY_DATABASE_URL'])).toBe(false);
  });

  it('lets extra names override the harmless list', () => {
    expect(isSecretVariableName('SSH_AUTH_SOCK', ['SSH_AUTH_SOCK'])).toBe(true);
  });
});
