import { randomBytes } from 'node:crypto';
import {
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
  type S3ServiceException,
} from '@aws-sdk/client-s3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type FaultProxy, startFaultProxy } from './fault-proxy.js';
import { useTestClient } from './testing/test-client.js';

const bucket = 'cairn-test';

/** What a send rejected with (fails the test if it resolved). */
async function rejectionOf(sending: Promise<unknown>): Promise<unknown> {
  const outcome = await sending.then(
    () => ({ resolved: true }),
    (error: unknown) => ({ resolved: false, error }),
  );
  expect(outcome.resolved).toBe(false);
  return (outcome as { error: unknown }).error;
}

/** Whether `error` (or its cause) is a dropped connection as Node reports one. */
function isNetworkReset(error: unknown): boolean {
  for (let current = error; current instanceof Error; current = current.cause) {
    const code = (current as NodeJS.ErrnoException).code;
    if (code === 'ECONNRESET' || code === 'EPIPE' || /socket hang up/i.test(current.message)) {
      return true;
    }
  }
  return false;
}

describe('startFaultProxy', () => {
  // The server, and a client of it that bypasses the proxy.
  const direct = useTestClient();
  let proxy: FaultProxy;
  let viaProxy: S3Client;

  beforeEach(async () => {
    const { server } = direct;
    proxy = await startFaultProxy({ target: server.endpoint });
    viaProxy = new S3Client({ ...server.clientConfig(), endpoint: proxy.endpoint, maxAttempts: 1 });
  });

  afterEach(async () => {
    viaProxy.destroy();
    await proxy.stop();
  });

  async function exists(key: string): Promise<boolean> {
    try {
      await direct.client.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
      return true;
    } catch (error) {
      if ((error as S3ServiceException).$metadata?.httpStatusCode === 404) return false;
      throw error;
    }
  }

  it('forwards a 20 MB upload and download byte for byte', async () => {
    const payload = randomBytes(20 * 1024 * 1024);
    await viaProxy.send(
      new PutObjectCommand({ Bucket: bucket, Key: 'clean/big.bin', Body: payload }),
    );
    const got = await viaProxy.send(new GetObjectCommand({ Bucket: bucket, Key: 'clean/big.bin' }));
    const bytes = Buffer.from((await got.Body?.transformToByteArray()) ?? []);
    expect(bytes.length).toBe(payload.length);
    expect(bytes.equals(payload)).toBe(true);
    expect(
      proxy.requests.map(({ method, status, faulted }) => ({ method, status, faulted })),
    ).toEqual([
      { method: 'PUT', status: 200, faulted: false },
      { method: 'GET', status: 200, faulted: false },
    ]);
  });

  it('status fault: answers 503 SlowDown without forwarding, as many times as asked', async () => {
    proxy.addFault({
      match: { method: 'PUT', pathIncludes: 'status/' },
      times: 1,
      fault: { kind: 'status', status: 503, code: 'SlowDown', retryAfterSeconds: 2 },
    });
    const error = (await rejectionOf(
      viaProxy.send(new PutObjectCommand({ Bucket: bucket, Key: 'status/one', Body: 'x' })),
    )) as S3ServiceException;
    expect(error.name).toBe('SlowDown');
    expect(error.$metadata.httpStatusCode).toBe(503);
    expect(error.message).toBe('Please reduce your request rate.');
    expect(await exists('status/one')).toBe(false);

    // times: 1 is used up; the next one goes through.
    await viaProxy.send(new PutObjectCommand({ Bucket: bucket, Key: 'status/one', Body: 'x' }));
    expect(await exists('status/one')).toBe(true);
    expect(proxy.requests.map((request) => [request.status, request.fault])).toEqual([
      [503, 'status'],
      [200, undefined],
    ]);
  });

  it('status fault on HEAD: the status with no body, as S3 sends it', async () => {
    await direct.client.send(
      new PutObjectCommand({ Bucket: bucket, Key: 'status/head', Body: 'x' }),
    );
    proxy.addFault({
      match: { method: 'HEAD' },
      times: Number.POSITIVE_INFINITY,
      fault: { kind: 'status', status: 403, code: 'AccessDenied' },
    });
    for (let attempt = 0; attempt < 2; attempt += 1) {
      const error = (await rejectionOf(
        viaProxy.send(new HeadObjectCommand({ Bucket: bucket, Key: 'status/head' })),
      )) as S3ServiceException;
      expect(error.$metadata.httpStatusCode).toBe(403);
    }
    proxy.clearFaults();
    await viaProxy.send(new HeadObjectCommand({ Bucket: bucket, Key: 'status/head' }));
  });

  it('reset-request-body: the client sees a reset mid-upload and nothing is stored', async () => {
    proxy.addFault({
      match: { method: 'PUT' },
      times: 1,
      fault: { kind: 'reset-request-body', afterBytes: 64 * 1024 },
    });
    const error = await rejectionOf(
      viaProxy.send(
        new PutObjectCommand({
          Bucket: bucket,
          Key: 'reset/upload',
          Body: randomBytes(4 * 1024 * 1024),
        }),
      ),
    );
    expect(isNetworkReset(error)).toBe(true);
    expect(await exists('reset/upload')).toBe(false);
    expect(proxy.requests).toEqual([
      expect.objectContaining({
        method: 'PUT',
        status: undefined,
        faulted: true,
        fault: 'reset-request-body',
      }),
    ]);
  });

  it('reset-response-body: the download starts, then its body stream fails', async () => {
    const payload = randomBytes(2 * 1024 * 1024);
    await direct.client.send(
      new PutObjectCommand({ Bucket: bucket, Key: 'reset/download', Body: payload }),
    );
    proxy.addFault({
      match: { method: 'GET', pathIncludes: 'reset/download' },
      times: 1,
      fault: { kind: 'reset-response-body', afterBytes: 100 * 1024 },
    });
    const got = await viaProxy.send(
      new GetObjectCommand({ Bucket: bucket, Key: 'reset/download' }),
    );
    expect(got.ContentLength).toBe(payload.length);
    const received: Buffer[] = [];
    const streamError = await (async () => {
      try {
        for await (const chunk of got.Body as AsyncIterable<Buffer>) received.push(chunk);
        return undefined;
      } catch (error) {
        return error;
      }
    })();
    expect(streamError).toBeInstanceOf(Error);
    // Exactly the promised prefix arrived, and it is the object's own bytes.
    expect(Buffer.concat(received).equals(payload.subarray(0, 100 * 1024))).toBe(true);
  });

  it('after-forward-status: the write happens although the client sees an error', async () => {
    proxy.addFault({
      match: { method: 'PUT' },
      times: 1,
      fault: { kind: 'after-forward-status', status: 500, code: 'InternalError' },
    });
    const error = (await rejectionOf(
      viaProxy.send(
        new PutObjectCommand({ Bucket: bucket, Key: 'lost-answer/object', Body: 'committed' }),
      ),
    )) as S3ServiceException;
    expect(error.name).toBe('InternalError');
    expect(error.$metadata.httpStatusCode).toBe(500);
    const got = await direct.client.send(
      new GetObjectCommand({ Bucket: bucket, Key: 'lost-answer/object' }),
    );
    expect(await got.Body?.transformToString()).toBe('committed');
  });

  it('latency: the request is delayed, then forwarded (seen in the log, not by timing)', async () => {
    proxy.addFault({
      match: { query: 'list-type' },
      times: 1,
      fault: { kind: 'latency', ms: 50 },
    });
    await viaProxy.send(new PutObjectCommand({ Bucket: bucket, Key: 'latency/object', Body: 'x' }));
    const listed = await viaProxy.send(
      new ListObjectsV2Command({ Bucket: bucket, Prefix: 'latency/' }),
    );
    expect(listed.Contents?.map((object) => object.Key)).toEqual(['latency/object']);
    expect(
      proxy.requests.map((request) => [request.method, request.status, request.fault]),
    ).toEqual([
      ['PUT', 200, undefined],
      ['GET', 200, 'latency'],
    ]);
  });

  it('the request log keeps method, path and query but no header values or credentials', async () => {
    await viaProxy.send(new PutObjectCommand({ Bucket: bucket, Key: 'log/a b.txt', Body: 'x' }));
    expect(proxy.requests).toEqual([
      {
        method: 'PUT',
        path: '/cairn-test/log/a b.txt',
        query: expect.any(Object),
        status: 200,
        faulted: false,
        fault: undefined,
      },
    ]);
    const logged = JSON.stringify(proxy.requests);
    for (const secret of ['S3RVER', 'AWS4-HMAC-SHA256', 'Credential', 'Signature', 'amz-date']) {
      expect(logged).not.toContain(secret);
    }
  });
});
