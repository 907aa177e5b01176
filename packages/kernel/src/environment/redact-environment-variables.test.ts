import { describe, expect, it } from 'vitest';
import { canaries, canaryDatabaseUrl } from '../testing/environment-canaries.js';
import {
  redactEnvironmentVariables,
  redactVariables,
  shortestScrubbedSecretValue,
} from './redact-environment-variables.js';

const plain = {
  HOME: '/home/someone',
  PATH: '/usr/local/bin:/usr/bin:/bin:/home/someone/.nvm/versions/node/v20.20.2/bin',
  LANG: 'en_US.UTF-8',
  TOKENIZERS_PARALLELISM: 'false',
};

describe('redactEnvironmentVariables', () => {
  it('redacts by name and by value shape, keeps the rest, and lists names only', () => {
    const result = redactEnvironmentVariables({
      ...plain,
      CAIRN_CANARY_API_KEY: canaries.namedApiKey,
      MY_PASSWORD: canaries.namedPassword,
      FOO: canaries.awsAccessKeyId,
      BAR: canaries.jwt,
      BAZ: canaries.openAiKey,
      DATABASE_URL: canaryDatabaseUrl,
    });
    expect(result.variables).toEqual({
      ...plain,
      BAR: '[redacted]',
      BAZ: '[redacted]',
      CAIRN_CANARY_API_KEY: '[redacted]',
      DATABASE_URL: '[redacted]',
      FOO: '[redacted]',
      MY_PASSWORD: '[redacted]',
    });
    expect(result.redacted).toEqual([
      'BAR',
      'BAZ',
      'CAIRN_CANARY_API_KEY',
      'DATABASE_URL',
      'FOO',
      'MY_PASSWORD',
    ]);
    expect(JSON.stringify(result)).not.toContain('canary');
    expect(JSON.stringify(result)).not.toContain(canaries.urlPassword);
  });

  it('redacts a secret-named variable even when its value looks harmless', () => {
    expect(redactEnvironmentVariables({ SESSION_ID: '42' }).variables).toEqual({
      SESSION_ID: '[redacted]',
    });
  });

  it('redacts the extra names it is given', () => {
    const result = redactEnvironmentVariables(
      { INTERNAL_ENDPOINT: 'https://internal.example/v1', OTHER: 'x' },
      { secretNames: ['internal_endpoint'] },
    );
    expect(result.variables).toEqual({ INTERNAL_ENDPOINT: '[redacted]', OTHER: 'x' });
    expect(result.redacted).toEqual(['INTERNAL_ENDPOINT']);
  });

  it('sorts by name and leaves out undefined values', () => {
    const result = redactEnvironmentVariables({ B: '2', A: '1', C: undefined });
    expect(Object.keys(result.variables)).toEqual(['A', 'B']);
    expect(result.redacted).toEqual([]);
  });

  it('does not hand out the hidden values', () => {
    const result = redactEnvironmentVariables({ GITHUB_TOKEN: canaries.githubToken });
    expect(Object.keys(result)).toEqual(['variables', 'redacted']);
  });
});

describe('redactVariables', () => {
  it('collects the hidden values and the secret parts inside them for scrubbing', () => {
    const { secretValues } = redactVariables({
      MY_PASSWORD: canaries.namedPassword,
      DATABASE_URL: canaryDatabaseUrl,
      PLAIN: 'visible-value',
    });
    expect([...secretValues].sort()).toEqual(
      [canaries.namedPassword, canaryDatabaseUrl, canaries.urlPassword].sort(),
    );
  });

  it(`skips values shorter than ${shortestScrubbedSecretValue} characters`, () => {
    const { secretValues, redacted } = redactVariables({ API_TOKEN: 'abc' });
    expect(redacted).toEqual(['API_TOKEN']);
    expect(secretValues.size).toBe(0);
  });
});
