import { S3Client, S3ServiceException } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, expect } from 'vitest';
import { type S3TestServer, type StartS3ServerOptions, startS3Server } from '../start-s3-server.js';

/** A running test server and an S3 client of it. */
export interface TestClient {
  readonly server: S3TestServer;
  readonly client: S3Client;
}

/**
 * Starts a test server and a client of it that sends every request once, so a test sees the
 * server's own answer rather than a retry's. Stop both with {@link stopTestClient}.
 */
export async function startTestClient(options: StartS3ServerOptions = {}): Promise<TestClient> {
  const server = await startS3Server(options);
  return { server, client: new S3Client({ ...server.clientConfig(), maxAttempts: 1 }) };
}

/** Destroys the client and stops the server; nothing when the start failed (`undefined`). */
export async function stopTestClient(testClient: TestClient | undefined): Promise<void> {
  testClient?.client.destroy();
  await testClient?.server.stop();
}

/**
 * Registers hooks that start a test server and its client ({@link startTestClient}) before the
 * tests of the enclosing `describe` and stop them after. Read `server` and `client` inside
 * tests and later hooks: they throw while the tests are being registered.
 */
export function useTestClient(options: StartS3ServerOptions = {}): TestClient {
  let running: TestClient | undefined;
  beforeAll(async () => {
    running = await startTestClient(options);
  });
  afterAll(async () => {
    await stopTestClient(running);
  });
  const current = (): TestClient => {
    if (running === undefined) throw new Error('the test server is not running yet');
    return running;
  };
  return {
    get server() {
      return current().server;
    },
    get client() {
      return current().client;
    },
  };
}

/** The S3 error a send rejected with (fails the test if it resolved). */
export async function s3ErrorOf(sending: Promise<unknown>): Promise<S3ServiceException> {
  const outcome = await sending.then(
    () => undefined,
    (error: unknown) => error,
  );
  expect(outcome).toBeInstanceOf(S3ServiceException);
  return outcome as S3ServiceException;
}
