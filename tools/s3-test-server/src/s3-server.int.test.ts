import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  GetObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  paginateListObjectsV2,
} from '@aws-sdk/client-s3';
import { isCairnError } from '@cairn/kernel';
import { describe, expect, it } from 'vitest';
import { startS3Server } from './start-s3-server.js';
import { useTestClient } from './testing/test-client.js';

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ESRCH') return false;
    throw error;
  }
}

describe('startS3Server', () => {
  const s3 = useTestClient({ buckets: ['cairn-test', 'second-bucket'] });

  it('describes itself and the client configuration every test should use', () => {
    expect(s3.server.endpoint).toBe(`http://127.0.0.1:${s3.server.port}`);
    expect(s3.server.port).toBeGreaterThan(0);
    expect(s3.server.buckets).toEqual(['cairn-test', 'second-bucket']);
    expect(s3.server.clientConfig()).toEqual({
      endpoint: s3.server.endpoint,
      region: 'us-east-1',
      forcePathStyle: true,
      credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
    });
  });

  it('puts, gets and lists objects in every configured bucket', async () => {
    for (const bucket of s3.server.buckets) {
      await s3.client.send(
        new PutObjectCommand({ Bucket: bucket, Key: 'round/trip.txt', Body: bucket }),
      );
      const got = await s3.client.send(
        new GetObjectCommand({ Bucket: bucket, Key: 'round/trip.txt' }),
      );
      expect(await got.Body?.transformToString()).toBe(bucket);
      const listed = await s3.client.send(
        new ListObjectsV2Command({ Bucket: bucket, Prefix: 'round/' }),
      );
      expect(listed.Contents?.map((object) => object.Key)).toEqual(['round/trip.txt']);
    }
  });

  it('paginates ListObjectsV2 over more than 1000 keys', async () => {
    const keys = Array.from(
      { length: 1_050 },
      (_, index) => `many/${String(index).padStart(5, '0')}`,
    );
    const queue = [...keys];
    await Promise.all(
      Array.from({ length: 16 }, async () => {
        for (let key = queue.shift(); key !== undefined; key = queue.shift()) {
          await s3.client.send(new PutObjectCommand({ Bucket: 'cairn-test', Key: key, Body: key }));
        }
      }),
    );
    const listed: string[] = [];
    let pages = 0;
    for await (const page of paginateListObjectsV2(
      { client: s3.client },
      { Bucket: 'cairn-test', Prefix: 'many/' },
    )) {
      pages += 1;
      listed.push(...(page.Contents ?? []).map((object) => object.Key ?? ''));
    }
    expect(pages).toBe(2);
    expect(listed).toEqual(keys);
  });
});

describe('stopping and failing', () => {
  it('stop() ends the child process and removes its directory, and may be called twice', async () => {
    const server = await startS3Server();
    expect(isAlive(server.pid)).toBe(true);
    expect(existsSync(server.directory)).toBe(true);
    await server.stop();
    expect(isAlive(server.pid)).toBe(false);
    expect(existsSync(server.directory)).toBe(false);
    await expect(server.stop()).resolves.toBeUndefined();
  });

  it('rejects with the child stderr when the server cannot start', async () => {
    const failure = await startS3Server({ buckets: ['bad\u0000bucket'] }).catch(
      (error: unknown) => error,
    );
    expect(isCairnError(failure, 'PERMANENT_IO')).toBe(true);
    expect((failure as Error).message).toMatch(/exited early/);
    // The child's own words, so the reason is visible in the test output.
    expect((failure as Error).message).toMatch(/s3rver failed to start: .*null bytes/);
  });

  it('the server process exits by itself when its parent goes away (its stdin closes)', async () => {
    const script = fileURLToPath(new URL('./s3-server-main.mjs', import.meta.url));
    const directory = await mkdtemp(join(tmpdir(), 'cairn-s3rver-orphan-'));
    const child = spawn(
      process.execPath,
      [script, JSON.stringify({ directory, buckets: ['b'], conditionalWrites: true })],
      { stdio: ['pipe', 'pipe', 'inherit'] },
    );
    try {
      const [firstLine] = (await once(child.stdout, 'data')) as [Buffer];
      expect(JSON.parse(firstLine.toString())).toEqual({ port: expect.any(Number) });
      const exited = once(child, 'exit');
      child.stdin.end();
      const [code] = (await exited) as [number | null];
      expect(code).toBe(0);
    } finally {
      child.kill('SIGKILL');
      await rm(directory, { recursive: true, force: true });
    }
  });
});
