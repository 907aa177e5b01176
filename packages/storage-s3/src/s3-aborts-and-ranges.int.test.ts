import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { isCairnError, readAll } from '@cairn/kernel';
import {
  type FaultProxy,
  type S3TestServer,
  startFaultProxy,
  startS3Server,
} from '@cairn/s3-test-server';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { S3Storage, S3StorageOptions } from './index.js';
import { createTestStorage } from './testing/s3-test-storage.js';

// Aborted puts and unusual ranges, against s3rver behind the fault proxy.
const mebibyte = 1024 * 1024;
let server: S3TestServer;
let proxy: FaultProxy;
const opened: S3Storage[] = [];

beforeAll(async () => {
  server = await startS3Server();
  proxy = await startFaultProxy({ target: server.endpoint });
});

afterAll(async () => {
  await Promise.all(opened.map((storage) => storage.close()));
  await proxy?.stop();
  await server?.stop();
});

beforeEach(() => {
  proxy.clearFaults();
});

function storage(overrides: Partial<S3StorageOptions> = {}): S3Storage {
  const created = createTestStorage(server, {
    endpoint: proxy.endpoint,
    partSizeBytes: 5 * mebibyte,
    retry: { maxAttempts: 4, initialDelayMs: 1, maxDelayMs: 5 },
    ...overrides,
  });
  opened.push(created);
  return created;
}

function requestsTo(key: string) {
  return proxy.requests.filter((request) => request.path.endsWith(`/${key}`));
}

async function failureOf(action: Promise<unknown>): Promise<unknown> {
  return action.then(
    () => undefined,
    (error: unknown) => error,
  );
}

describe('aborted puts', () => {
  it('an abort while the completion is on its way leaves nothing and no upload behind', async () => {
    const store = storage();
    const controller = new AbortController();
    proxy.addFault({
      match: {
        method: 'POST',
        query: 'uploadId',
        predicate: (request) => {
          // The caller gives up the moment the completion reaches the wire.
          if (request.path.endsWith('/completing.bin')) controller.abort(new Error('user stop'));
          return request.path.endsWith('/completing.bin');
        },
      },
      times: 1,
      fault: { kind: 'latency', ms: 500 },
    });
    const error = await failureOf(
      store.put('completing.bin', Readable.from([randomBytes(11 * mebibyte)]), {
        signal: controller.signal,
      }),
    );
    expect(isCairnError(error, 'ABORTED'), String(error)).toBe(true);
    await sleep(800);
    expect(await store.head('completing.bin')).toBeUndefined();
    const aborted = requestsTo('completing.bin').filter(
      (request) => request.method === 'DELETE' && request.query.uploadId !== undefined,
    );
    expect(aborted.length, 'the upload was abandoned').toBe(1);
  });

  it('an abort while parts are being retried stops every request of the upload', async () => {
    const store = storage({ retry: { maxAttempts: 20, initialDelayMs: 50, maxDelayMs: 100 } });
    const controller = new AbortController();
    let faulted = 0;
    proxy.addFault({
      match: {
        query: 'partNumber',
        predicate: (request) => {
          if (!request.path.endsWith('/throttled.bin')) return false;
          faulted += 1;
          if (faulted === 3) controller.abort(new Error('user stop'));
          return true;
        },
      },
      times: Number.POSITIVE_INFINITY,
      fault: { kind: 'status', status: 503, code: 'SlowDown' },
    });
    const error = await failureOf(
      store.put('throttled.bin', Readable.from([randomBytes(16 * mebibyte)]), {
        signal: controller.signal,
      }),
    );
    expect(isCairnError(error, 'ABORTED'), String(error)).toBe(true);
    const partsAtRejection = requestsTo('throttled.bin').filter(
      (request) => request.query.partNumber !== undefined,
    ).length;
    // Nothing of the upload is still retrying behind the caller's back.
    await sleep(500);
    const partsLater = requestsTo('throttled.bin').filter(
      (request) => request.query.partNumber !== undefined,
    ).length;
    expect(partsLater).toBe(partsAtRejection);
    proxy.clearFaults();
    expect(await store.head('throttled.bin')).toBeUndefined();
  });

  it('an abort while a long body stalls ends the upload at once', async () => {
    const store = storage();
    const controller = new AbortController();
    async function* stallsAfterOnePart() {
      yield randomBytes(6 * mebibyte);
      controller.abort(new Error('user stop'));
      await new Promise(() => {
        // Never yields again: a producer that hung.
      });
    }
    const error = await failureOf(
      store.put('stalled.bin', stallsAfterOnePart(), { signal: controller.signal }),
    );
    expect(isCairnError(error, 'ABORTED'), String(error)).toBe(true);
    expect(await store.head('stalled.bin')).toBeUndefined();
  });
});

describe('conditional puts of streams and lost answers', () => {
  it('ifMatch on a missing key with a multipart stream is a failed precondition, as with bytes', async () => {
    const store = storage();
    const error = await failureOf(
      store.put('absent.bin', Readable.from([randomBytes(11 * mebibyte)]), {
        ifMatch: '"0123456789abcdef0123456789abcdef"',
      }),
    );
    expect(isCairnError(error, 'PRECONDITION_FAILED'), String(error)).toBe(true);
    expect(await store.head('absent.bin')).toBeUndefined();
  });

  it('a create whose every answer was lost, though the first committed, returns the stored object', async () => {
    const store = storage({ retry: { maxAttempts: 3, initialDelayMs: 1, maxDelayMs: 5 } });
    proxy.addFault({
      match: { method: 'PUT', pathIncludes: 'unanswered.txt' },
      times: Number.POSITIVE_INFINITY,
      fault: { kind: 'after-forward-status', status: 500, code: 'InternalError' },
    });
    const info = await store.put('unanswered.txt', 'landed', { ifNoneMatch: '*' });
    proxy.clearFaults();
    const puts = requestsTo('unanswered.txt').filter((request) => request.method === 'PUT');
    expect(puts.length, 'every attempt was answered with an error').toBe(3);
    expect(puts.every((request) => request.fault === 'after-forward-status')).toBe(true);
    expect((await store.head('unanswered.txt'))?.etag).toBe(info.etag);
    expect((await readAll((await store.get('unanswered.txt')).body)).toString()).toBe('landed');
  });
});

describe('an upload the store forgot', () => {
  it('NoSuchUpload is not sent again: the put fails at once with a retryable CONFLICT', async () => {
    const store = storage();
    proxy.addFault({
      match: { query: 'partNumber', pathIncludes: 'forgotten.bin' },
      times: Number.POSITIVE_INFINITY,
      fault: { kind: 'status', status: 404, code: 'NoSuchUpload' },
    });
    const error = await failureOf(
      store.put('forgotten.bin', Readable.from([randomBytes(11 * mebibyte)])),
    );
    expect(isCairnError(error, 'CONFLICT'), String(error)).toBe(true);
    expect((error as { retryable: boolean }).retryable).toBe(true);
    const firstPart = requestsTo('forgotten.bin').filter(
      (request) => request.query.partNumber === '1',
    );
    expect(firstPart.length, 'part 1 was sent once, not retried').toBe(1);
    proxy.clearFaults();
    expect(await store.head('forgotten.bin')).toBeUndefined();
  });
});

describe('ranges', () => {
  it('refuses ranges that are not whole numbers with 0 <= start <= end', async () => {
    const store = storage();
    await store.put('ranged.txt', '0123456789');
    for (const range of [{ start: 5, end: 2 }, { start: 1.5, end: 3 }, { start: -3 }]) {
      const error = await failureOf(store.get('ranged.txt', { range }));
      expect(isCairnError(error, 'INVALID_OPTIONS'), JSON.stringify(range)).toBe(true);
    }
  });

  it('a range starting at or past the end reads nothing and describes the object', async () => {
    const store = storage();
    await store.put('short.txt', '0123456789');
    await store.put('empty.txt', '');
    for (const [key, start, size] of [
      ['short.txt', 10, 10],
      ['short.txt', 20, 10],
      ['empty.txt', 0, 0],
    ] as const) {
      const { info, body } = await store.get(key, { range: { start } });
      expect((await readAll(body)).length, `${key} from ${start}`).toBe(0);
      expect(info.size).toBe(size);
    }
    const missing = await failureOf(store.get('never-written.txt', { range: { start: 3 } }));
    expect(isCairnError(missing, 'NOT_FOUND')).toBe(true);
  });
});
