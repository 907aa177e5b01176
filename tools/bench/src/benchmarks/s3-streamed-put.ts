import { DeleteObjectCommand, HeadObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { digestOf, type ObjectInfo } from '@cairn/kernel';
import { startS3Server } from '@cairn/s3-test-server';
import { createS3Storage } from '@cairn/storage-s3';
import type { Benchmark } from '../benchmark.js';
import { generatedBody } from '../generated-body.js';
import { bytesFromEnvironment, countFromEnvironment, formatBytes } from '../settings.js';
import { runSideBySide } from '../side-by-side.js';
import { transferRows } from './transfer-rows.js';

const bodyBytes = bytesFromEnvironment('CAIRN_BENCH_P6_BYTES', 256 * 1024 * 1024);
const warmupRounds = countFromEnvironment('CAIRN_BENCH_P6_WARMUP_ROUNDS', 1);
const rounds = countFromEnvironment('CAIRN_BENCH_P6_ROUNDS', 7);
const bucket = 'cairn-bench';
// storage-s3's defaults, given to the bare upload too so both send the same parts.
const partSizeBytes = 8 * 1024 * 1024;
const concurrency = 4;

function checkSize(side: string, size: number | undefined): void {
  if (size !== bodyBytes) throw new Error(`${side} stored ${size} bytes, not ${bodyBytes}`);
}

/**
 * P6: a 256 MiB stream put through storage-s3 against a bare lib-storage `Upload` of the same
 * stream, both to one s3rver on loopback. Each side's object is checked and deleted untimed
 * after its round, so the server's disk holds at most one body.
 */
export const s3StreamedPutBenchmark: Benchmark = {
  name: 'p6 s3 streamed put',
  async run() {
    // The generated body is the same bytes every time: its digest is computed once, untimed.
    const expected = await digestOf(generatedBody(bodyBytes));
    const server = await startS3Server({ buckets: [bucket] });
    const config = server.clientConfig();
    const storage = createS3Storage({
      bucket,
      prefix: 'cairn/',
      endpoint: config.endpoint,
      region: config.region,
      forcePathStyle: true,
      credentials: config.credentials,
      requestChecksumCalculation: config.requestChecksumCalculation,
      responseChecksumValidation: config.responseChecksumValidation,
      partSizeBytes,
      concurrency,
    });
    const client = new S3Client(config);
    try {
      const cairnKey = (round: number) => `big/object-${round}`;
      const bareKey = (round: number) => `bare/object-${round}`;
      let written: ObjectInfo | undefined;
      const samples = await runSideBySide(
        {
          run: async (round) => {
            written = await storage.put(cairnKey(round), generatedBody(bodyBytes));
          },
          afterRound: async (round) => {
            if (written?.sha256 !== expected.sha256) {
              throw new Error(`Cairn reported SHA-256 ${written?.sha256}, not ${expected.sha256}`);
            }
            checkSize('Cairn', (await storage.head(cairnKey(round)))?.size);
            await storage.delete(cairnKey(round));
          },
        },
        {
          run: async (round) => {
            const upload = new Upload({
              client,
              params: { Bucket: bucket, Key: bareKey(round), Body: generatedBody(bodyBytes) },
              partSize: partSizeBytes,
              queueSize: concurrency,
            });
            await upload.done();
          },
          afterRound: async (round) => {
            const head = new HeadObjectCommand({ Bucket: bucket, Key: bareKey(round) });
            checkSize('The bare upload', (await client.send(head)).ContentLength);
            await client.send(new DeleteObjectCommand({ Bucket: bucket, Key: bareKey(round) }));
          },
        },
        { warmupRounds, rounds, sampleMemory: true },
      );
      const size = formatBytes(bodyBytes);
      return {
        title: `P6. Streamed put of ${size} to s3rver: storage-s3 vs a bare lib-storage Upload`,
        description: `Cairn: \`createS3Storage({ bucket, endpoint, … }).put(key, stream)\` of ${size} in 64 KiB chunks: the first part read ahead to choose between one PutObject and a multipart upload, then lib-storage's \`Upload\` (${formatBytes(partSizeBytes)} parts, ${concurrency} at a time) with SHA-256 on the way and the kernel retry loop around each request. Limit: \`new Upload({ client, params: { Bucket, Key, Body: stream }, partSize: ${formatBytes(partSizeBytes)}, queueSize: ${concurrency} }).done()\` on an \`S3Client\` with the same endpoint and checksum modes (\`WHEN_REQUIRED\`), nothing hashed. Both to one \`@cairn/s3-test-server\` (s3rver 3.7.1 with its S3-like object store, in a child process on loopback, writing to the same disk); each object's size (and Cairn's SHA-256) checked after its round, untimed. Peak RSS growth is this process's (the server's memory is not counted).`,
        rounds,
        warmupRounds,
        rows: transferRows(`put ${size}`, bodyBytes, samples),
      };
    } finally {
      client.destroy();
      await storage.close();
      await server.stop();
    }
  },
};
