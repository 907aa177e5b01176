// The child process that startS3Server() runs: s3rver on 127.0.0.1 with a random port. It is a
// plain .mjs file so it runs without a build. s3rver's own ListObjectsV2 tokens needed
// `node --openssl-legacy-provider` (a DES cipher); the listing that replaces it does not.
//
// Input: one JSON argument { directory, buckets, conditionalWrites }.
// Output: one JSON line { port } on stdout once listening; errors go to stderr.
import S3rver from 's3rver';
import bucketController from 's3rver/lib/controllers/bucket.js';
import objectController from 's3rver/lib/controllers/object.js';
import { createAbortMultipartUploadMiddleware } from './abort-multipart-upload-middleware.mjs';
import { createConditionalWritesMiddleware } from './conditional-writes-middleware.mjs';
import { getObject } from './get-object-controller.mjs';
import { listObjects } from './list-objects-controller.mjs';
import { S3LikeStore } from './s3-like-store.mjs';

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

// Where s3rver deviates from S3's documented behaviour, the child imitates S3 instead (each file
// says which deviation it fixes): the store's object operations (atomic overwrites, byte ranges,
// listing order, multipart uploads)…
server.store = server.context.store = new S3LikeStore(options.directory);
// …the listing and GET/HEAD controllers (continuation after a common prefix, KeyCount; GET's
// conditional headers): s3rver's router calls them through these module objects, so replacing
// the exports replaces the handlers…
bucketController.getBucket = listObjects;
objectController.getObject = getObject;
// …and AbortMultipartUpload, which s3rver's router refuses before any handler runs.
server.middleware.unshift(createAbortMultipartUploadMiddleware());

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
