import { join } from 'node:path';
import { createMirroredStorage, digestOf, type Storage } from '@cairn/kernel';
import { createFsStorage } from '@cairn/storage-fs';
import type { Benchmark } from '../benchmark.js';
import { generatedBody } from '../generated-body.js';
import { runSideBySide } from '../side-by-side.js';
import { withTemporaryDirectory } from '../temporary-directory.js';
import { transferRows } from './transfer-rows.js';

const bodyBytes = 64 * 1024 * 1024;
const warmupRounds = 1;
const rounds = 7;

async function drain(storage: Storage, key: string): Promise<void> {
  let bytes = 0;
  const { body } = await storage.get(key);
  for await (const chunk of body) bytes += (chunk as Buffer).length;
  if (bytes !== bodyBytes) throw new Error(`mirror returned ${bytes} bytes, not ${bodyBytes}`);
}

async function readVerified(storage: Storage, key: string): Promise<void> {
  const { info, body } = await storage.get(key);
  const { sha256 } = await digestOf(body);
  if (sha256 !== info.sha256) throw new Error(`fs read SHA-256 ${sha256}, not ${info.sha256}`);
}

/** Benchmark 6: what keeping two verified copies costs over one fs storage. */
export const mirroredBenchmark: Benchmark = {
  name: 'mirrored fs + fs 64 MiB',
  run: () =>
    withTemporaryDirectory('mirrored', async (directory) => {
      const primary = createFsStorage({ root: join(directory, 'primary') });
      const backup = createFsStorage({ root: join(directory, 'backup') });
      const mirror = createMirroredStorage({ copies: { primary, backups: [backup] } });
      const single = createFsStorage({ root: join(directory, 'single') });
      const key = (round: number) => `big/object-${round}`;
      const putSamples = await runSideBySide(
        {
          run: (round) => mirror.put(key(round), generatedBody(bodyBytes)).then(() => {}),
          afterRound: (round) => mirror.delete(key(round)),
        },
        {
          run: (round) => single.put(key(round), generatedBody(bodyBytes)).then(() => {}),
          afterRound: (round) => single.delete(key(round)),
        },
        { warmupRounds, rounds, sampleMemory: true },
      );
      await mirror.put('big/object', generatedBody(bodyBytes));
      await single.put('big/object', generatedBody(bodyBytes));
      // The mirror verifies what it returns, so its caller only drains; the single storage's
      // caller hashes, to get the same guarantee.
      const getSamples = await runSideBySide(
        { run: () => drain(mirror, 'big/object') },
        { run: () => readVerified(single, 'big/object') },
        { warmupRounds, rounds, sampleMemory: true },
      );
      await Promise.all([mirror.close?.(), single.close?.()]);
      return {
        title: '6. Mirrored storage, fs + fs (64 MiB)',
        description:
          "Cairn: `createMirroredStorage({ copies: { primary: fs, backups: [fs] } })`, both on the same disk, fsync on. Limit: one `createFsStorage` on that disk (one copy, verified by the caller on get). Put streams 64 MiB; get reads it back to the end. 64 MiB is above the mirror's 16 MiB `bufferLimitBytes`, so its get hashes the primary once before streaming it (verified again on the way).",
        rounds,
        warmupRounds,
        rows: [
          ...transferRows('put 64 MiB', bodyBytes, putSamples),
          ...transferRows('get 64 MiB', bodyBytes, getSamples),
        ],
      };
    }),
};
