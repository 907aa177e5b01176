import { type S3TestServer, type StartS3ServerOptions, startS3Server } from '@cairn/s3-test-server';
import { afterAll, beforeAll } from 'vitest';

/**
 * Registers hooks that start one S3 test server before the tests of the enclosing file (or
 * `describe`) and stop it after them.
 *
 * @returns the running server; call it inside a test or a later hook, not while registering.
 */
export function useS3TestServer(options: StartS3ServerOptions = {}): () => S3TestServer {
  let server: S3TestServer | undefined;
  beforeAll(async () => {
    server = await startS3Server(options);
  });
  afterAll(async () => {
    await server?.stop();
  });
  return () => {
    if (server === undefined) throw new Error('the S3 test server is not running yet');
    return server;
  };
}
