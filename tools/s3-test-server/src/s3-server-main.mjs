// The child process that startS3Server() runs: s3rver on 127.0.0.1 with a random port. It is a
// plain .mjs file so it runs without a build, under `node --openssl-legacy-provider` (s3rver's
// ListObjectsV2 pagination tokens need a cipher that OpenSSL 3 moved to the legacy provider).
//
// Input: one JSON argument { directory, buckets, conditionalWrites }.
// Output: one JSON line { port } on stdout once listening; errors go to stderr.
import S3rver from 's3rver';
import { createConditionalWritesMiddleware } from './conditional-writes-middleware.mjs';

const options = JSON.parse(process.argv[2] ?? '{}');

// The parent keeps our stdin open; when it dies, even by SIGKILL, the pipe closes and we go
// too, so a crashed test run leaves no server behind.
process.stdin.on('end', () => process.exit(0));
process.stdin.on('error', () => process.exit(0));
process.stdin.resume();

const server = new S3rver({
  address: '127.0.0.1',
  port: 0,
  silent: true,
  directory: options.directory,
  vhostBuckets: false,
  configureBuckets: options.buckets.map((name) => ({ name })),
});

if (options.conditionalWrites) {
  // Koa composes `middleware` when the server starts listening (inside run()), so a function
  // put first here runs before s3rver's logger, router and authentication.
  server.middleware.unshift(createConditionalWritesMiddleware());
}

try {
  const address = await server.run();
  process.stdout.write(`${JSON.stringify({ port: address.port })}\n`);
} catch (error) {
  process.stderr.write(`s3rver failed to start: ${error?.stack ?? String(error)}\n`);
  process.exit(1);
}
