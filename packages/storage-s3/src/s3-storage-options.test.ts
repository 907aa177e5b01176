import { isCairnError } from '@cairn/kernel';
import { describe, expect, it } from 'vitest';
import { createS3Storage, parseS3StorageOptions, plugin } from './index.js';

function problemOf(options: unknown): string {
  try {
    parseS3StorageOptions(options);
  } catch (error) {
    expect(isCairnError(error, 'INVALID_OPTIONS')).toBe(true);
    return (error as Error).message;
  }
  throw new Error('expected the options to be refused');
}

describe('s3 storage options', () => {
  it('fills in the defaults', () => {
    expect(parseS3StorageOptions({ bucket: 'ml-runs' })).toMatchObject({
      bucket: 'ml-runs',
      prefix: '',
      forcePathStyle: false,
      requestChecksumCalculation: 'WHEN_SUPPORTED',
      responseChecksumValidation: 'WHEN_SUPPORTED',
      partSizeBytes: 8 * 1024 * 1024,
      concurrency: 4,
      conditionalWrites: true,
    });
  });

  it.each([
    [{}, '"bucket"'],
    [{ bucket: 'Has_Capitals' }, 'S3 bucket name'],
    [{ bucket: 'ok-bucket', prefix: 'no-trailing-slash' }, '"prefix"'],
    [{ bucket: 'ok-bucket', prefix: '/absolute/' }, '"prefix"'],
    [{ bucket: 'ok-bucket', prefix: 'a//b/' }, '"prefix"'],
    [{ bucket: 'ok-bucket', partSizeBytes: 1024 }, '5 MiB'],
    [{ bucket: 'ok-bucket', concurrency: 0 }, '"concurrency"'],
    [{ bucket: 'ok-bucket', endpoint: 'not a url' }, '"endpoint"'],
    [
      { bucket: 'ok-bucket', requestChecksumCalculation: 'SOMETIMES' },
      'requestChecksumCalculation',
    ],
    [{ bucket: 'ok-bucket', retry: { maxAttempts: 0 } }, '"retry.maxAttempts"'],
    [{ bucket: 'ok-bucket', bukcet: 'typo' }, 'unknown option "bukcet"'],
  ])('refuses %j, naming %s', (options, expected) => {
    expect(problemOf(options)).toContain(expected);
  });

  it('never repeats credential values in its errors', () => {
    const message = problemOf({
      bucket: 'ok-bucket',
      credentials: { accessKeyId: 'AKIAEXAMPLE', secretAccessKey: 'very-secret-value', extra: 1 },
    });
    expect(message).toContain('credentials');
    expect(message).not.toContain('very-secret-value');
    expect(message).not.toContain('AKIAEXAMPLE');
  });

  it('the plugin manifest is the s3 storage with the same schema', () => {
    expect(plugin.kind).toBe('storage');
    expect(plugin.name).toBe('s3');
    expect(plugin.optionsSchema.safeParse({ bucket: 'ok-bucket' }).success).toBe(true);
  });

  it('declares its capabilities from the options, and leaves room for its prefix in keys', async () => {
    const storage = createS3Storage({
      bucket: 'ok-bucket',
      region: 'eu-west-1',
      prefix: 'team/project/',
      conditionalWrites: false,
    });
    expect(storage.capabilities).toMatchObject({
      conditionalWrites: false,
      rangedReads: true,
      atomicPut: true,
      maxKeyBytes: 1024 - 'team/project/'.length,
    });
    // Nothing was sent: invalid keys are refused before any request.
    const error = await storage.head('../escape').catch((failure: unknown) => failure);
    expect(isCairnError(error, 'INVALID_KEY')).toBe(true);
    await storage.close();
  });

  it('keeps credentials out of the storage object, even inspected deeply', async () => {
    const secret = 'secret-value-that-must-not-show';
    const storage = createS3Storage({
      bucket: 'ok-bucket',
      region: 'eu-west-1',
      credentials: { accessKeyId: 'AKIAEXAMPLE', secretAccessKey: secret, sessionToken: 'token-x' },
    });
    const { inspect } = await import('node:util');
    const shown = `${inspect(storage, { depth: 6 })}${JSON.stringify(storage.options)}`;
    expect(shown).not.toContain(secret);
    expect(shown).not.toContain('token-x');
    expect(storage.options).not.toHaveProperty('credentials');
    await storage.close();
  });
});
