import { randomBytes } from 'node:crypto';
import { createCheckpointStore, isCairnError, type Storage, startRun } from '@cairn/kernel';
import { type S3TestServer, startS3Server } from '@cairn/s3-test-server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { S3Storage } from './index.js';
import {
  describeS3Storage,
  openS3Storage,
  type S3StorageDescription,
} from './testing/s3-storage-description.js';

// Two writers of one run on one bucket, each with its own S3 client as two machines would
// have: the run lease is a compare-and-swap on run.json's ETag (If-Match), and a checkpoint
// commit is fenced by it.
const never = 3_600_000;
let server: S3TestServer;
const opened: S3Storage[] = [];

beforeAll(async () => {
  server = await startS3Server();
});

afterAll(async () => {
  await Promise.all(opened.map((storage) => storage.close()));
  await server?.stop();
});

function machine(description: S3StorageDescription): S3Storage {
  const storage = openS3Storage(description);
  opened.push(storage);
  return storage;
}

function startOptions(storage: Storage) {
  return {
    storage,
    pipeline: 'train',
    heartbeatIntervalMs: never,
    journalFlushIntervalMs: never,
  } as const;
}

async function sidecarsIn(storage: Storage): Promise<string[]> {
  const keys: string[] = [];
  for await (const object of storage.list({ prefix: 'checkpoints/' })) {
    if (object.key.endsWith('checkpoint.yaml')) keys.push(object.key);
  }
  return keys;
}

describe('a run lease on S3', () => {
  it('a second writer of a live run is refused; after a forced takeover the stale writer cannot commit a sidecar', async () => {
    const description = describeS3Storage(server, `lease-${randomBytes(4).toString('hex')}/`);
    const first = machine(description);
    const second = machine(description);

    const stale = await startRun(startOptions(first));
    const staleCheckpoints = createCheckpointStore({ storage: first });
    const kept = await staleCheckpoints.save({
      run: stale.id,
      step: 'epoch',
      state: { epoch: 1 },
      lease: stale.lease,
    });
    expect(kept.leaseGeneration).toBe(1);

    const refused = await startRun({ ...startOptions(second), resume: stale.id }).catch(
      (error: unknown) => error,
    );
    expect(isCairnError(refused, 'CONFLICT'), String(refused)).toBe(true);

    const owner = await startRun({ ...startOptions(second), resume: stale.id, force: true });
    expect(owner.lease.generation).toBe(2);

    const fenced = await staleCheckpoints
      .save({ run: stale.id, step: 'epoch', state: { epoch: 2 }, lease: stale.lease })
      .catch((error: unknown) => error);
    expect(isCairnError(fenced, 'CONFLICT'), String(fenced)).toBe(true);
    expect(stale.signal.aborted).toBe(true);

    const ownerCheckpoints = createCheckpointStore({ storage: second });
    const committed = await ownerCheckpoints.save({
      run: stale.id,
      step: 'epoch',
      state: { epoch: 2 },
      lease: owner.lease,
    });
    expect(committed.leaseGeneration).toBe(2);
    // Only the checkpoint saved before the takeover and the new owner's are committed.
    const sidecars = await sidecarsIn(second);
    expect(sidecars).toHaveLength(2);
    expect(
      sidecars.some((key) => key.startsWith(`checkpoints/epoch/${kept.id.split('/')[1]}`)),
    ).toBe(true);
    await owner.finish('COMPLETED');
  });
});
