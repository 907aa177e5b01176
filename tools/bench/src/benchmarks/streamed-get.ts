import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { digestOf } from '@cairn/kernel';
import { createFsStorage } from '@cairn/storage-fs';
import type { Benchmark } from '../benchmark.js';
import { generatedBody } from '../generated-body.js';
import { readFileDigest, streamToFile } from '../raw-limits.js';
import { runSideBySide } from '../side-by-side.js';
import { withTemporaryDirectory } from '../temporary-directory.js';
import { transferRows } from './transfer-rows.js';

const bodyBytes = 256 * 1024 * 1024;
const warmupRounds = 1;
const rounds = 7;

function checkDigest(side: string, actual: string, expected: string): void {
  // A benchmark that reads the wrong bytes fast measures nothing.
  if (actual !== expected) throw new Error(`${side} read SHA-256 ${actual}, expected ${expected}`);
}

/** Benchmark 3: a 256 MiB verified get against a plain read stream hashed by the caller. */
export const streamedGetBenchmark: Benchmark = {
  name: 'streamed get 256 MiB',
  run: () =>
    withTemporaryDirectory('streamed-get', async (directory) => {
      const storage = createFsStorage({ root: join(directory, 'cairn') });
      const rawFolder = join(directory, 'raw');
      await mkdir(rawFolder);
      const rawPath = join(rawFolder, 'object');
      const key = 'big/object';
      const written = await storage.put(key, generatedBody(bodyBytes));
      await streamToFile(generatedBody(bodyBytes), rawPath);
      const expected = written.sha256 as string;
      const samples = await runSideBySide(
        {
          run: async () => {
            const { info, body } = await storage.get(key);
            checkDigest('Cairn', (await digestOf(body)).sha256, info.sha256 as string);
          },
        },
        { run: async () => checkDigest('raw', (await readFileDigest(rawPath)).sha256, expected) },
        { warmupRounds, rounds, sampleMemory: true },
      );
      await storage.close?.();
      return {
        title: '3. Streamed get (256 MiB, verified by the caller)',
        description:
          'Cairn: `get(key)`, then SHA-256 of the body compared with `info.sha256`. Limit: `fs.createReadStream(path)` hashed the same way. Both files were just written, so both read from the page cache.',
        rounds,
        warmupRounds,
        rows: transferRows('get 256 MiB', bodyBytes, samples),
      };
    }),
};
