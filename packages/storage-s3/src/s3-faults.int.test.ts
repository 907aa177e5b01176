import { createHash, randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { isCairnError, readAll } from '@cairn/kernel';
import {
  type FaultProxy,
  type S3TestServer,
  startFaultProxy,
  startS3Server,
} from '@cairn/s3-test-server';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { S3Storage, S3StorageHooks, S3StorageOptions } from './index.js';
import { createTestStorage } from './testing/s3-test-storage.js';

// A real s3rver behind a fault-injecting proxy on loopback: every request of the real SDK
// crosses a real socket that the proxy can throttle, fail, reset or delay.
let server: S3TestServer;
let proxy: FaultProxy;

const mebibyte = 1024 * 1024;
// Fast backoff: the tests check what is retried, not how long the waits are.
const quickRetry = { maxAttempts: 4, initialDelayMs: 1, maxDelayMs: 5 } as const;

function storageBehindProxy(
  overrides: Partial<S3StorageOptions> = {},
  hooks: S3StorageHooks = {},
): S3Storage {
  return createTestStorage(
    server,
    { endpoint: proxy.endpoint, retry: quickRetry, partSizeBytes: 5 * mebibyte, ...overrides },
    hooks,
  );
}

const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

function inChunks(bytes: Buffer, chunkBytes = 256 * 1024): Readable {
  const chunks: Buffer[] = [];
  for (let offset = 0; offset < bytes.length; offset += chunkBytes) {
    chunks.push(bytes.subarray(offset, offset + chunkBytes));
  }
  return Readable.from(chunks);
}

async function readBack(storage: S3Storage, key: string): Promise<Buffer> {
  const { body } = await storage.get(key);
  return readAll(body);
}

function requestsTo(key: string) {
  return proxy.requests.filter((request) => request.path.endsWith(`/${key}`));
}

beforeAll(async () => {
  server = await startS3Server();
  proxy = await startFaultProxy({ target: server.endpoint });
});

afterAll(async () => {
  await proxy?.stop();
  await server?.stop();
});

beforeEach(() => {
  proxy.clearFaults();
});

describe('transient faults are retried by the kernel policy', () => {
  it('503 SlowDown twice, then the put lands', async () => {
    const storage = storageBehindProxy();
    proxy.addFault({
      match: { method: 'PUT', pathIncludes: 'slow.txt' },
      times: 2,
      fault: { kind: 'status', status: 503, code: 'SlowDown' },
    });
    const info = await storage.put('slow.txt', 'after the storm');
    expect((await readBack(storage, 'slow.txt')).toString()).toBe('after the storm');
    expect(info.sha256).toBe(sha256(Buffer.from('after the storm')));
    const puts = requestsTo('slow.txt').filter((request) => request.method === 'PUT');
    expect(puts.map((request) => request.status)).toEqual([503, 503, 200]);
    await storage.close();
  });

  it('every retry is logged and offered to onAttempt', async () => {
    const events: { outcome: string; delayMs: number | undefined }[] = [];
    const warnings: unknown[][] = [];
    const logger = {
      debug: () => {},
      info: () => {},
      warn: (...entry: unknown[]) => warnings.push(entry),
      error: () => {},
      child: () => logger,
    };
    const storage = storageBehindProxy(
      {},
      {
        logger,
        onAttempt: (event) => events.push({ outcome: event.outcome, delayMs: event.delayMs }),
      },
    );
    proxy.addFault({
      match: { method: 'PUT', pathIncludes: 'observed.txt' },
      times: 2,
      fault: { kind: 'status', status: 503, code: 'SlowDown' },
    });
    await storage.put('observed.txt', 'seen');
    expect(events.map((event) => event.outcome)).toEqual(['failure', 'failure', 'success']);
    expect(events.slice(0, 2).every((event) => event.delayMs !== undefined)).toBe(true);
    expect(warnings).toHaveLength(2);
    expect(JSON.stringify(warnings)).toContain('SlowDown');
    await storage.close();
  });

  it('500 InternalError on GET and on LIST, then both answer', async () => {
    const storage = storageBehindProxy();
    await storage.put('listed/one.txt', 'one');
    const before = proxy.requests.length;
    proxy.addFault({
      match: { method: 'GET', pathIncludes: 'listed/one.txt' },
      times: 2,
      fault: { kind: 'status', status: 500, code: 'InternalError' },
    });
    proxy.addFault({
      match: { method: 'GET', query: 'list-type' },
      times: 1,
      fault: { kind: 'status', status: 500, code: 'InternalError' },
    });
    expect((await readBack(storage, 'listed/one.txt')).toString()).toBe('one');
    const page = await storage.listPage({ prefix: 'listed/' });
    expect(page.objects.map((object) => object.key)).toEqual(['listed/one.txt']);
    const gets = requestsTo('listed/one.txt').filter((request) => request.method === 'GET');
    expect(gets.filter((request) => request.fault === 'status').map((r) => r.status)).toEqual([
      500, 500,
    ]);
    const lists = proxy.requests
      .slice(before)
      .filter((request) => request.query['list-type'] !== undefined);
    expect(lists.map((request) => [request.status, request.fault])).toEqual([
      [500, 'status'],
      [200, undefined],
    ]);
    await storage.close();
  });

  it('409 ConditionalRequestConflict is a retryable conflict: the create is tried again and lands', async () => {
    const storage = storageBehindProxy();
    proxy.addFault({
      match: { method: 'PUT', pathIncludes: 'conflicted.txt' },
      times: 1,
      fault: { kind: 'status', status: 409, code: 'ConditionalRequestConflict' },
    });
    await storage.put('conflicted.txt', 'mine', { ifNoneMatch: '*' });
    expect((await readBack(storage, 'conflicted.txt')).toString()).toBe('mine');
    const puts = requestsTo('conflicted.txt').filter((request) => request.method === 'PUT');
    expect(puts.map((request) => [request.status, request.fault])).toEqual([
      [409, 'status'],
      [200, undefined],
    ]);
    await storage.close();
  });

  it('a connection that goes silent past socketTimeoutMs is dropped and the request retried', async () => {
    const storage = storageBehindProxy({ socketTimeoutMs: 300 });
    await storage.put('patient.txt', 'worth the wait');
    proxy.addFault({
      match: { method: 'GET', pathIncludes: 'patient.txt' },
      times: 1,
      fault: { kind: 'latency', ms: 3_000 },
    });
    expect((await readBack(storage, 'patient.txt')).toString()).toBe('worth the wait');
    const gets = requestsTo('patient.txt').filter((request) => request.method === 'GET');
    expect(gets.length, 'the silent attempt and the retry').toBeGreaterThanOrEqual(2);
    expect(gets[0]?.fault).toBe('latency');
    await storage.close();
  });

  it('added latency on every request slows nothing into failure', async () => {
    const storage = storageBehindProxy();
    const before = proxy.requests.length;
    proxy.addFault({ times: 6, fault: { kind: 'latency', ms: 50 } });
    await storage.put('late/a.txt', 'a');
    await storage.put('late/b.txt', 'b');
    const keys = [];
    for await (const object of storage.list({ prefix: 'late/' })) keys.push(object.key);
    expect(keys).toEqual(['late/a.txt', 'late/b.txt']);
    const delayed = proxy.requests.slice(before).filter((request) => request.fault === 'latency');
    expect(delayed.length, 'two puts and one list page, each delayed').toBe(3);
    await storage.close();
  });
});

describe('resets mid-body', () => {
  it('a part upload reset mid-body is sent again; the object is whole', async () => {
    const storage = storageBehindProxy();
    const bytes = randomBytes(17 * mebibyte);
    proxy.addFault({
      match: { method: 'PUT', query: 'partNumber', pathIncludes: 'parts.bin' },
      times: 2,
      fault: { kind: 'reset-request-body', afterBytes: mebibyte },
    });
    const info = await storage.put('parts.bin', inChunks(bytes));
    expect(info.size).toBe(bytes.length);
    expect(info.sha256).toBe(sha256(bytes));
    expect(sha256(await readBack(storage, 'parts.bin'))).toBe(sha256(bytes));
    expect(
      requestsTo('parts.bin').filter((request) => request.fault === 'reset-request-body'),
    ).toHaveLength(2);
    await storage.close();
  });

  it('a single put reset mid-body is sent again', async () => {
    const storage = storageBehindProxy();
    const bytes = randomBytes(2 * mebibyte);
    proxy.addFault({
      match: { method: 'PUT', pathIncludes: 'single.bin' },
      times: 1,
      fault: { kind: 'reset-request-body', afterBytes: 64 * 1024 },
    });
    await storage.put('single.bin', bytes);
    expect((await readBack(storage, 'single.bin')).equals(bytes)).toBe(true);
    const puts = requestsTo('single.bin').filter((request) => request.method === 'PUT');
    expect(puts.map((request) => request.fault)).toEqual(['reset-request-body', undefined]);
    await storage.close();
  });

  it('a download reset mid-body resumes from the byte reached, pinned to the same version', async () => {
    const storage = storageBehindProxy();
    const bytes = randomBytes(12 * mebibyte);
    await storage.put('download.bin', inChunks(bytes));
    proxy.addFault({
      match: { method: 'GET', pathIncludes: 'download.bin' },
      times: 2,
      fault: { kind: 'reset-response-body', afterBytes: 3 * mebibyte },
    });
    const received = await readBack(storage, 'download.bin');
    expect(received.length).toBe(bytes.length);
    expect(received.equals(bytes)).toBe(true);
    const gets = requestsTo('download.bin').filter((request) => request.method === 'GET');
    expect(gets.length, 'the first read and two resumes').toBe(3);
    await storage.close();
  });

  it('a resumed download of an object replaced meanwhile fails instead of splicing versions', async () => {
    const storage = storageBehindProxy();
    const first = Buffer.alloc(8 * mebibyte, 1);
    await storage.put('replaced.bin', inChunks(first));
    proxy.addFault({
      match: { method: 'GET', pathIncludes: 'replaced.bin' },
      times: 1,
      fault: { kind: 'reset-response-body', afterBytes: 2 * mebibyte },
    });
    const { body } = await storage.get('replaced.bin');
    // The replacement lands while the first read is cut off.
    await storage.put('replaced.bin', inChunks(Buffer.alloc(8 * mebibyte, 2)));
    const error = await readAll(body).then(
      () => undefined,
      (failure: unknown) => failure,
    );
    expect(isCairnError(error, 'CONFLICT'), String(error)).toBe(true);
    await storage.close();
  });
});

describe('answers lost after the commit', () => {
  it('a create whose answer was lost is retried and recognised as its own, not reported as taken', async () => {
    const storage = storageBehindProxy();
    proxy.addFault({
      match: { method: 'PUT', pathIncludes: 'committed.txt' },
      times: 1,
      fault: { kind: 'after-forward-status', status: 500, code: 'InternalError' },
    });
    const info = await storage.put('committed.txt', 'exactly once', { ifNoneMatch: '*' });
    // The first create landed but was answered 500; its retry met the object it had made.
    const puts = requestsTo('committed.txt').filter((request) => request.method === 'PUT');
    expect(puts.map((request) => [request.status, request.fault])).toEqual([
      [500, 'after-forward-status'],
      [412, undefined],
    ]);
    expect((await storage.head('committed.txt'))?.etag).toBe(info.etag);
    expect((await readBack(storage, 'committed.txt')).toString()).toBe('exactly once');
    // Someone else's create of the same key is still refused.
    const other = await storage
      .put('committed.txt', 'second', { ifNoneMatch: '*' })
      .catch((error: unknown) => error);
    expect(isCairnError(other, 'PRECONDITION_FAILED')).toBe(true);
    await storage.close();
  });

  it('a multipart completion whose answer was lost is recognised as its own', async () => {
    const storage = storageBehindProxy();
    const bytes = randomBytes(11 * mebibyte);
    proxy.addFault({
      match: { method: 'POST', query: 'uploadId', pathIncludes: 'completed.bin' },
      times: 1,
      fault: { kind: 'after-forward-status', status: 500, code: 'InternalError' },
    });
    const info = await storage.put('completed.bin', inChunks(bytes), { ifNoneMatch: '*' });
    expect(info.size).toBe(bytes.length);
    // The first completion landed but was answered 500; its retry met what it had done: the
    // object it made (412, as the test server answers) or its upload gone (404 NoSuchUpload).
    const completions = requestsTo('completed.bin').filter(
      (request) => request.method === 'POST' && request.query.uploadId !== undefined,
    );
    expect(completions[0]).toMatchObject({ status: 500, fault: 'after-forward-status' });
    expect([412, 404]).toContain(completions[1]?.status);
    expect(sha256(await readBack(storage, 'completed.bin'))).toBe(sha256(bytes));
    await storage.close();
  });
});

describe('failures that retrying will not fix', () => {
  it('exhausted retries give TRANSIENT_IO naming the attempts, and nothing is visible', async () => {
    const storage = storageBehindProxy({ retry: { ...quickRetry, maxAttempts: 3 } });
    proxy.addFault({
      match: { method: 'PUT', pathIncludes: 'never.txt' },
      times: Number.POSITIVE_INFINITY,
      fault: { kind: 'status', status: 503, code: 'SlowDown', retryAfterSeconds: 0 },
    });
    const error = await storage.put('never.txt', 'lost?').catch((failure: unknown) => failure);
    expect(isCairnError(error, 'TRANSIENT_IO'), String(error)).toBe(true);
    if (!isCairnError(error)) return;
    expect(error.retryable).toBe(true);
    expect(error.details.attempts).toBe(3);
    expect(error.message).toMatch(/SlowDown/);
    expect(error.message).toMatch(/3 attempts/);
    proxy.clearFaults();
    expect(await storage.head('never.txt')).toBeUndefined();
    await storage.close();
  });

  it('403 AccessDenied on a put is permanent, says what to grant, and is not retried', async () => {
    const storage = storageBehindProxy();
    proxy.addFault({
      match: { method: 'PUT', pathIncludes: 'denied.txt' },
      times: 1,
      fault: { kind: 'status', status: 403, code: 'AccessDenied' },
    });
    const error = await storage.put('denied.txt', 'no').catch((failure: unknown) => failure);
    expect(isCairnError(error, 'PERMANENT_IO'), String(error)).toBe(true);
    expect((error as Error).message).toMatch(/s3:PutObject on arn:aws:s3:::cairn-test\//);
    expect(requestsTo('denied.txt').filter((request) => request.method === 'PUT')).toHaveLength(1);
    await storage.close();
  });

  it('403 on HEAD explains that a missing key looks like this without s3:ListBucket', async () => {
    const storage = storageBehindProxy();
    proxy.addFault({
      match: { method: 'HEAD', pathIncludes: 'hidden.txt' },
      times: 1,
      fault: { kind: 'status', status: 403, code: 'Forbidden' },
    });
    const error = await storage.head('hidden.txt').catch((failure: unknown) => failure);
    expect(isCairnError(error, 'PERMANENT_IO'), String(error)).toBe(true);
    expect((error as Error).message).toMatch(/s3:ListBucket/);
    expect((error as Error).message).toMatch(/missing object/);
    await storage.close();
  });
});

describe('no acknowledged write is lost or half-visible', () => {
  it('under a mix of faults, every acknowledged put reads back whole and every refused one left the old bytes or the new ones whole', async () => {
    const storage = storageBehindProxy({ retry: { ...quickRetry, maxAttempts: 3 } });
    const faults = [
      { kind: 'status', status: 503, code: 'SlowDown' },
      { kind: 'status', status: 500, code: 'InternalError' },
      { kind: 'reset-request-body', afterBytes: 100_000 },
      { kind: 'after-forward-status', status: 500, code: 'InternalError' },
      { kind: 'latency', ms: 20 },
    ] as const;
    const stored = new Map<string, Buffer>();
    for (let round = 0; round < 30; round += 1) {
      const key = `mixed/${round % 5}.bin`;
      const bytes = randomBytes(round % 3 === 0 ? 6 * mebibyte : 300_000);
      const fault = faults[round % faults.length] as (typeof faults)[number];
      proxy.addFault({ match: { pathIncludes: key }, times: 1 + (round % 4), fault });
      const outcome = await storage.put(key, round % 2 === 0 ? inChunks(bytes) : bytes).then(
        () => 'acknowledged' as const,
        () => 'refused' as const,
      );
      proxy.clearFaults();
      const now = await readBack(storage, key).catch(() => undefined);
      if (outcome === 'acknowledged') {
        expect(now?.equals(bytes) === true, `round ${round}: acknowledged put reads back`).toBe(
          true,
        );
        stored.set(key, bytes);
      } else {
        const previous = stored.get(key);
        const whole =
          (now === undefined && previous === undefined) ||
          (now !== undefined &&
            (now.equals(bytes) || (previous !== undefined && now.equals(previous))));
        expect(whole, `round ${round}: a refused put leaves old or new bytes whole`).toBe(true);
        if (now !== undefined) stored.set(key, now);
      }
    }
    await storage.close();
  });
});

describe('credentials', () => {
  it('refused credentials are a permanent error that never repeats the secret or the session token', async () => {
    const secret = `secret-${randomBytes(16).toString('hex')}`;
    const sessionToken = `token-${randomBytes(16).toString('hex')}`;
    const storage = storageBehindProxy({
      credentials: { accessKeyId: 'S3RVER', secretAccessKey: secret, sessionToken },
    });
    // s3rver does not check signatures; the proxy answers as S3 does to a wrong secret. The
    // request it refuses carried the session token in a header, which the SDK's raw error
    // keeps a reference to.
    proxy.addFault({
      match: { method: 'PUT', pathIncludes: 'signed.txt' },
      times: 1,
      fault: { kind: 'status', status: 403, code: 'SignatureDoesNotMatch' },
    });
    const error = await storage.put('signed.txt', 'x').catch((failure: unknown) => failure);
    expect(isCairnError(error, 'PERMANENT_IO'), String(error)).toBe(true);
    expect((error as Error).message).toMatch(/credentials are wrong/);
    const { inspect } = await import('node:util');
    const everything = `${inspect(error, { depth: 20, showHidden: true })}${JSON.stringify(error)}`;
    expect(everything).not.toContain(secret);
    expect(everything).not.toContain(sessionToken);
    expect(everything.toLowerCase()).not.toContain('aws4-hmac-sha256 credential=');
    await storage.close();
  });
});
