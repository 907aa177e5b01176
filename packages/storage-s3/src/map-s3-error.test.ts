import { NoSuchKey, S3ServiceException } from '@aws-sdk/client-s3';
import { CairnError, isCairnError, retry } from '@cairn/kernel';
import { describe, expect, it } from 'vitest';
import { finalS3Error } from './final-s3-error.js';
import { mapS3Error } from './map-s3-error.js';

// Errors built with the SDK's own exception classes, shaped as its deserialiser builds them.
function s3Error(name: string, status: number, message = `${name} happened`): S3ServiceException {
  return new S3ServiceException({
    name,
    $fault: status >= 500 ? 'server' : 'client',
    $metadata: { httpStatusCode: status, requestId: 'request-1' },
    message,
  });
}

const putContext = { operation: 'PutObject', bucket: 'ml-runs', key: 'team/a.bin' } as const;
const headContext = { operation: 'HeadObject', bucket: 'ml-runs', key: 'team/a.bin' } as const;

describe('mapS3Error', () => {
  it.each([
    ['NoSuchKey', 404, 'NOT_FOUND', false],
    ['NotFound', 404, 'NOT_FOUND', false],
    ['PreconditionFailed', 412, 'PRECONDITION_FAILED', false],
    ['ConditionalRequestConflict', 409, 'CONFLICT', true],
    ['SlowDown', 503, 'TRANSIENT_IO', true],
    ['InternalError', 500, 'TRANSIENT_IO', true],
    ['ServiceUnavailable', 503, 'TRANSIENT_IO', true],
    ['RequestTimeout', 400, 'TRANSIENT_IO', true],
    ['RequestTimeTooSkewed', 403, 'TRANSIENT_IO', true],
    ['BadDigest', 400, 'TRANSIENT_IO', true],
    ['XAmzContentSHA256Mismatch', 400, 'TRANSIENT_IO', true],
    ['IncompleteBody', 400, 'TRANSIENT_IO', true],
    ['InvalidDigest', 400, 'PERMANENT_IO', false],
    ['NoSuchUpload', 404, 'CONFLICT', true],
    ['InvalidObjectState', 403, 'PERMANENT_IO', false],
    ['ExpiredToken', 400, 'PERMANENT_IO', false],
    ['AccessDenied', 403, 'PERMANENT_IO', false],
    ['InvalidBucketName', 400, 'PERMANENT_IO', false],
    ['NoSuchBucket', 404, 'PERMANENT_IO', false],
    ['PermanentRedirect', 301, 'PERMANENT_IO', false],
    ['NotImplemented', 501, 'UNSUPPORTED', false],
    ['EntityTooLarge', 400, 'PERMANENT_IO', false],
  ] as const)('%s (%i) → %s, retryable %s', (name, status, code, retryable) => {
    const mapped = mapS3Error(s3Error(name, status), putContext);
    expect(mapped.code).toBe(code);
    expect(mapped.retryable).toBe(retryable);
    expect(mapped.backend).toBe('s3');
    expect(mapped.details).toMatchObject({ operation: 'PutObject', status, s3Code: name });
  });

  it('maps the SDK’s modelled NoSuchKey class', () => {
    const error = new NoSuchKey({ $metadata: { httpStatusCode: 404 }, message: 'gone' });
    expect(mapS3Error(error, putContext).code).toBe('NOT_FOUND');
  });

  it.each(['ECONNRESET', 'EPIPE', 'ECONNREFUSED', 'ETIMEDOUT', 'EAI_AGAIN'])(
    'a socket error %s is transient',
    (code) => {
      const error = Object.assign(new Error('socket trouble'), { code });
      const mapped = mapS3Error(error, putContext);
      expect(mapped.code).toBe('TRANSIENT_IO');
      expect(mapped.details.networkCode).toBe(code);
    },
  );

  it('the SDK’s TimeoutError (a silent socket) is transient, also a few causes deep', () => {
    const timeout = Object.assign(new Error('Connection timed out after 300 ms'), {
      name: 'TimeoutError',
    });
    expect(mapS3Error(timeout, putContext).code).toBe('TRANSIENT_IO');
    const wrapped = new Error('request failed', { cause: new Error('inner', { cause: timeout }) });
    expect(mapS3Error(wrapped, putContext).code).toBe('TRANSIENT_IO');
  });

  it('an AbortError is ABORTED', () => {
    const error = Object.assign(new Error('Request aborted'), { name: 'AbortError' });
    expect(mapS3Error(error, putContext).code).toBe('ABORTED');
  });

  it('a 503 with Retry-After carries the wait the store asked for', () => {
    const error = s3Error('SlowDown', 503);
    Object.assign(error, { $response: { statusCode: 503, headers: { 'retry-after': '7' } } });
    expect(mapS3Error(error, putContext).retryAfterMs).toBe(7000);
  });

  it('403 on HEAD explains the missing-key case and what to grant', () => {
    const mapped = mapS3Error(s3Error('403', 403, 'UnknownError'), headContext);
    expect(mapped.code).toBe('PERMANENT_IO');
    expect(mapped.message).toContain('s3:ListBucket on arn:aws:s3:::ml-runs');
  });

  it('403 AccessDenied names the action and the resource to grant', () => {
    expect(mapS3Error(s3Error('AccessDenied', 403), putContext).message).toContain(
      's3:PutObject on arn:aws:s3:::ml-runs/team/a.bin',
    );
    const list = { operation: 'ListObjectsV2', bucket: 'ml-runs', key: 'team/' };
    expect(mapS3Error(s3Error('AccessDenied', 403), list).message).toContain(
      's3:ListBucket on arn:aws:s3:::ml-runs,',
    );
  });

  it('a 403 RequestTimeTooSkewed is retried, not blamed on permissions', () => {
    const mapped = mapS3Error(s3Error('RequestTimeTooSkewed', 403), putContext);
    expect(mapped.message).not.toContain('Grant');
    expect(mapped.message).toContain('clock');
  });

  it('a 403 InvalidObjectState says to restore the archived object, not what to grant', () => {
    const get = { operation: 'GetObject', bucket: 'ml-runs', key: 'team/a.bin' };
    const mapped = mapS3Error(s3Error('InvalidObjectState', 403), get);
    expect(mapped.message).toContain('Restore the object first');
    expect(mapped.message).not.toContain('Grant');
  });

  it('NoSuchUpload says the upload was aborted and keeps its S3 code for the put to recognise', () => {
    const complete = { ...putContext, operation: 'CompleteMultipartUpload' };
    const mapped = mapS3Error(s3Error('NoSuchUpload', 404), complete);
    expect(mapped.message).toContain('the multipart upload was aborted');
    expect(mapped.message).not.toContain('no such object');
    expect(mapped.details.s3Code).toBe('NoSuchUpload');
  });

  it('an unknown host is permanent and points at endpoint and forcePathStyle', () => {
    const dns = Object.assign(new Error('getaddrinfo ENOTFOUND ml-runs.minio.internal'), {
      code: 'ENOTFOUND',
      hostname: 'ml-runs.minio.internal',
    });
    for (const error of [dns, new Error('request failed', { cause: dns })]) {
      const mapped = mapS3Error(error, putContext);
      expect(mapped.code).toBe('PERMANENT_IO');
      expect(mapped.retryable).toBe(false);
      expect(mapped.details.networkCode).toBe('ENOTFOUND');
      expect(mapped.message).toContain('Check "endpoint"');
      expect(mapped.message).toContain('forcePathStyle: true');
    }
  });

  it.each(['ExpiredToken', 'TokenRefreshRequired'])(
    '%s says session credentials given as fixed values are not refreshed',
    (name) => {
      const mapped = mapS3Error(s3Error(name, 400), putContext);
      expect(mapped.code).toBe('PERMANENT_IO');
      expect(mapped.message).toContain('never refreshed');
      expect(mapped.message).toContain('provider chain');
    },
  );

  it('501 NotImplemented also suggests the checksum setting', () => {
    const { message } = mapS3Error(s3Error('NotImplemented', 501), putContext);
    expect(message).toContain('conditionalWrites: false');
    expect(message).toContain("requestChecksumCalculation: 'WHEN_REQUIRED'");
  });

  it('missing credentials say how to provide them', () => {
    const error = Object.assign(new Error('Could not load credentials from any providers'), {
      name: 'CredentialsProviderError',
    });
    const mapped = mapS3Error(error, putContext);
    expect(mapped.code).toBe('PERMANENT_IO');
    expect(mapped.message).toContain('Set AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY or AWS_PROFILE');
  });

  it('a missing region says where to set one', () => {
    const mapped = mapS3Error(new Error('Region is missing'), putContext);
    expect(mapped.code).toBe('PERMANENT_IO');
    expect(mapped.message).toContain('Set "region" in the s3 storage options, or AWS_REGION');
  });

  it('lib-storage’s part limit says to raise partSizeBytes', () => {
    const error = new Error(
      'Exceeded 10000 parts in multipart upload to Bucket: ml-runs Key: team/a.bin.',
    );
    const mapped = mapS3Error(error, { ...putContext, operation: 'CompleteMultipartUpload' });
    expect(mapped.code).toBe('PERMANENT_IO');
    expect(mapped.message).toContain('larger than partSizeBytes × 10,000');
    expect(mapped.message).toContain('raise "partSizeBytes"');
  });

  it('a response that fails the SDK’s checksum is CORRUPT_DATA', () => {
    const error = new Error(
      'Checksum mismatch: expected "AAAAAA==" but received "BBBBBB==" in response header "x-amz-checksum-crc32".',
    );
    const get = { operation: 'GetObject', bucket: 'ml-runs', key: 'team/a.bin' };
    const mapped = mapS3Error(error, get);
    expect(mapped.code).toBe('CORRUPT_DATA');
    expect(mapped.retryable).toBe(false);
  });

  it('keeps a cause without the raw HTTP response', () => {
    const error = s3Error('AccessDenied', 403);
    Object.assign(error, {
      $response: { statusCode: 403, headers: {}, body: { req: { authorization: 'AWS4 secret' } } },
    });
    const cause = mapS3Error(error, putContext).cause as Record<string, unknown>;
    expect(cause.$response).toBeUndefined();
    expect(cause.Code).toBe('AccessDenied');
    expect(JSON.stringify(cause)).not.toContain('AWS4 secret');
  });

  it('a Cairn error passes through; the retry loop’s ABORTED is renamed to the storage', () => {
    const own = new CairnError({ code: 'CORRUPT_DATA', backend: 's3', message: 'bad' });
    expect(mapS3Error(own, putContext)).toBe(own);
    const fromRetry = new CairnError({ code: 'ABORTED', backend: 'retry', message: 'stopped' });
    const renamed = mapS3Error(fromRetry, putContext);
    expect(renamed.code).toBe('ABORTED');
    expect(renamed.backend).toBe('s3');
  });
});

describe('finalS3Error', () => {
  it('turns exhausted retries into TRANSIENT_IO that names the attempts and the last answer', async () => {
    const exhausted = await retry(
      async () => {
        throw mapS3Error(s3Error('SlowDown', 503, 'Please reduce your request rate.'), putContext);
      },
      { maxAttempts: 3, initialDelayMs: 0, maxDelayMs: 0 },
    ).catch((error: unknown) => error);
    expect(isCairnError(exhausted, 'RETRIES_EXHAUSTED')).toBe(true);
    const final = finalS3Error(exhausted, putContext);
    expect(final.code).toBe('TRANSIENT_IO');
    expect(final.retryable).toBe(true);
    expect(final.details).toMatchObject({ attempts: 3, status: 503, s3Code: 'SlowDown' });
    expect(final.message).toContain('3 attempts failed');
    expect(final.message).toContain('Please reduce your request rate.');
  });

  it('says "1 attempt" and names the request that failed, not the caller’s', async () => {
    const part = { operation: 'UploadPart', bucket: 'ml-runs', key: 'team/a.bin' };
    const exhausted = await retry(
      async () => {
        throw mapS3Error(s3Error('InternalError', 500), part);
      },
      { maxAttempts: 1 },
    ).catch((error: unknown) => error);
    const complete = { ...putContext, operation: 'CompleteMultipartUpload' };
    const final = finalS3Error(exhausted, complete);
    expect(final.message).toContain(
      'UploadPart of s3://ml-runs/team/a.bin gave up: 1 attempt failed;',
    );
    expect(final.message).not.toContain('CompleteMultipartUpload');
    expect(final.message).not.toContain('it is retried');
    expect(final.details.operation).toBe('UploadPart');
  });

  it('a wait above maxRetryAfterMs stays not retryable and says how long the store asked for', async () => {
    const slowDown = s3Error('SlowDown', 503);
    Object.assign(slowDown, { $response: { statusCode: 503, headers: { 'retry-after': '600' } } });
    const exhausted = await retry(
      async () => {
        throw mapS3Error(slowDown, putContext);
      },
      { maxAttempts: 5, maxRetryAfterMs: 60_000 },
    ).catch((error: unknown) => error);
    expect(isCairnError(exhausted, 'RETRIES_EXHAUSTED')).toBe(true);
    const final = finalS3Error(exhausted, putContext);
    expect(final.code).toBe('TRANSIENT_IO');
    expect(final.retryable).toBe(false);
    expect(final.retryAfterMs).toBeUndefined();
    expect(final.details).toMatchObject({ attempts: 1, retryAfterMs: 600_000, s3Code: 'SlowDown' });
    expect(final.message).toContain('the store asked to wait 600 s');
    expect(final.message).not.toContain('retried');
  });

  it('maps anything else like mapS3Error', () => {
    expect(finalS3Error(s3Error('NoSuchKey', 404), putContext).code).toBe('NOT_FOUND');
  });
});
