import { describe, expect, it } from 'vitest';
import { inMemoryProvenance } from './config-provenance.js';
import { collectSecretValues, isSecretName, scrub, secretRulesOf } from './redact.js';

describe('isSecretName', () => {
  it.each([
    'apiKey',
    'accessKeyId',
    'secretAccessKey',
    'token',
    'PASSWORD',
    'credentials',
    'authHeader',
  ])('treats %s as secret', (name) => {
    expect(isSecretName(name)).toBe(true);
  });

  it('treats plain names as plain unless the plugin declared them', () => {
    expect(isSecretName('bucket')).toBe(false);
    expect(isSecretName('dsn')).toBe(false);
    expect(isSecretName('dsn', ['dsn'])).toBe(true);
  });
});

describe('collectSecretValues and scrub', () => {
  it('collects values under secret names, declared names and interpolated paths, at any depth', () => {
    const options = {
      bucket: 'public-bucket',
      credentials: { id: 'id-123', nested: ['list-secret'] },
      dsn: 'postgres://u:p@h',
      region: 'from-env',
      port: 123456,
      short: 'ab',
      apiKey: 'ab',
    };
    const secrets = collectSecretValues(options, ['storage', 'options'], {
      interpolatedPaths: new Set(['storage.options.region', 'storage.options.port']),
      secretOptions: ['dsn'],
    });
    expect([...secrets].sort()).toEqual([
      '123456',
      'from-env',
      'id-123',
      'list-secret',
      'postgres://u:p@h',
    ]);
  });

  it('adds every environment value of four characters or more, wherever it was used', () => {
    const secrets = collectSecretValues({ bucket: 'public-bucket' }, ['storage', 'options'], {
      interpolatedPaths: new Set(),
      environmentValues: ['hunter2secret', '8080', 'eu1', '1'],
    });
    expect([...secrets].sort()).toEqual(['8080', 'hunter2secret']);
  });

  it('reads the environment values from a provenance, and none from a config built in code', () => {
    const values = new Set(['hunter2secret']);
    const rules = secretRulesOf({ ...inMemoryProvenance(), environmentValues: () => values }, [
      'dsn',
    ]);
    expect(rules).toEqual({
      interpolatedPaths: new Set(),
      environmentValues: values,
      secretOptions: ['dsn'],
    });
    expect(secretRulesOf(inMemoryProvenance())).toEqual({ interpolatedPaths: new Set() });
  });

  it('replaces every occurrence, the longest secret first', () => {
    expect(scrub('a abcdef b abc c abcdef', new Set(['abc', 'abcdef']))).toBe(
      'a [redacted] b [redacted] c [redacted]',
    );
  });
});
