import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, open, readFile, rm, truncate } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import {
  checkpointKeys,
  createCheckpointStore,
  createMirroredStorage,
  type MirrorEvent,
  readAll,
} from '@cairn/kernel';
import { type S3TestServer, startS3Server } from '@cairn/s3-test-server';
import { createFsStorage, type FsStorage } from '@cairn/storage-fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { S3Storage } from './index.js';
import { createTestStorage } from './testing/s3-test-storage.js';

// The setup the design names: checkpoints on the local disk (storage-fs, primary) mirrored to
// S3 (storage-s3 on a real s3rver, backup). A local copy damaged on disk is loaded from S3,
// and the disk is repaired from it.
const run = 'train/20261202T153000.000Z-ab12cd';
const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

let server: S3TestServer;
let root: string;
let local: FsStorage;
let remote: S3Storage;

beforeAll(async () => {
  server = await startS3Server();
  root = await mkdtemp(join(tmpdir(), 'cairn-fs-s3-mirror-'));
  local = createFsStorage({ root });
  remote = createTestStorage(server);
});

afterAll(async () => {
  await remote?.close();
  await local?.close?.();
  await server?.stop();
  if (root !== undefined) await rm(root, { recursive: true, force: true });
});

function mirroredStore(events: MirrorEvent[]) {
  const mirror = createMirroredStorage({
    copies: { primary: local, backups: [remote] },
    onEvent: (event) => events.push(event),
  });
  return createCheckpointStore({ storage: mirror });
}

async function flipByteInTheMiddle(path: string): Promise<void> {
  const bytes = await readFile(path);
  const middle = Math.floor(bytes.length / 2);
  const handle = await open(path, 'r+');
  try {
    await handle.write(Buffer.from([(bytes[middle] ?? 0) ^ 0x40]), 0, 1, middle);
  } finally {
    await handle.close();
  }
}

describe('checkpoints on fs mirrored to S3', () => {
  it('a payload bit-flipped on disk loads from S3 and the disk copy is repaired', async () => {
    const events: MirrorEvent[] = [];
    const store = mirroredStore(events);
    const state = { epoch: 3, weights: Array.from({ length: 2000 }, (_, index) => index / 7) };
    const record = await store.save({ run, step: 'train', state });
    const keys = checkpointKeys(record.id);
    const good = await readFile(join(root, keys.payload));
    // The backup holds the same bytes on S3.
    expect(sha256(await readAll((await remote.get(keys.payload)).body))).toBe(sha256(good));

    await flipByteInTheMiddle(join(root, keys.payload));
    const loaded = await store.load({ id: record.id });
    expect(loaded.state).toEqual(state);
    expect(loaded.problems.map((problem) => problem.problem)).toEqual(
      expect.arrayContaining(['copy-corrupt', 'copy-repaired']),
    );
    expect((await readFile(join(root, keys.payload))).equals(good), 'disk repaired').toBe(true);
    expect(events.some((event) => event.type === 'copy-repaired')).toBe(true);
  });

  it('a large streamed payload truncated on disk streams whole from S3 (multipart on the backup)', async () => {
    const store = mirroredStore([]);
    const bytes = randomBytes(12 * 1024 * 1024);
    const record = await store.save({ run, step: 'export', body: Readable.from([bytes]) });
    const keys = checkpointKeys(record.id);
    await truncate(join(root, keys.payload), 1000);

    const opened = await store.open({ id: record.id });
    const read = await readAll(opened.body);
    expect(read.length).toBe(bytes.length);
    expect(sha256(read)).toBe(sha256(bytes));
    // The next load finds the disk copy whole again.
    const again = await store.open({ id: record.id });
    expect(sha256(await readAll(again.body))).toBe(sha256(bytes));
    expect((await readFile(join(root, keys.payload))).length).toBe(bytes.length);
  });
});
