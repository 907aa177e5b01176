import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { createFsStorage } from '@cairn/storage-fs';
import type { Benchmark } from '../benchmark.js';
import { generatedBody } from '../generated-body.js';
import { streamToFile } from '../raw-limits.js';
import { runSideBySide } from '../side-by-side.js';
import { withTemporaryDirectory } from '../temporary-directory.js';
import { transferRows } from './transfer-rows.js';

const bodyBytes = 256 * 1024 * 1024;
const warmupRounds = 1;
const rounds = 5;

/** Benchmark 2: a 256 MiB streamed put against a plain durable stream into a file. */
export const streamedPutBenchmark: Benchmark = {
  name: 'streamed put 256 MiB',
  run: () =>
    withTemporaryDirectory('streamed-put', async (directory) => {
      const storage = createFsStorage({ root: join(directory, 'cairn') });
      const rawFolder = join(directory, 'raw');
      await mkdir(rawFolder);
      const key = (round: number) => `big/object-${round}`;
      const rawPath = (round: number) => join(rawFolder, `object-${round}`);
      // Each round writes a new object and the next one deletes it untimed, so the disk never
      // holds more than one body per side and no timed write pays for freeing an old one.
      const samples = await runSideBySide(
        {
          run: (round) => storage.put(key(round), generatedBody(bodyBytes)).then(() => {}),
          afterRound: (round) => storage.delete(key(round)),
        },
        {
          run: (round) => streamToFile(generatedBody(bodyBytes), rawPath(round)),
          afterRound: (round) => rm(rawPath(round)),
        },
        { warmupRounds, rounds, sampleMemory: true },
      );
      await storage.close?.();
      return {
        title: '2. Streamed put (256 MiB, fsync on)',
        description:
          'Cairn: `put(key, stream)` of 256 MiB in 64 KiB chunks (SHA-256 on the way, temporary file, rename, metadata record). Limit: `pipeline(stream, fs.createWriteStream(path, { flush: true }))`, which is neither atomic nor hashed.',
        rounds,
        warmupRounds,
        rows: transferRows('put 256 MiB', bodyBytes, samples),
      };
    }),
};
