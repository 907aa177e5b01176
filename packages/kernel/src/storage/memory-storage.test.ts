import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { isCairnError } from '../errors/cairn-error.js';
import { digestOf, readAll, sha256Of } from './body.js';
import { createMemoryStorage } from './memory-storage.js';

// The contract itself is covered by @cairn/testkit's conformance suite; these are the hooks
// only the memory backend has, and regressions found by that suite.

async function rejectionOf(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected the promise to reject');
}

describe('createMemoryStorage', () => {
  it('counts the objects it holds', async () => {
    const storage = createMemoryStorage();
    expect(storage.size).toBe(0);
    await storage.put('a', 'one');
    await storage.put('b', 'two');
    await storage.put('a', 'one again');
    expect(storage.size).toBe(2);
    await storage.delete('a');
    expect(storage.size).toBe(1);
  });

  it('corrupt() swaps the bytes but keeps the recorded digest, so readers can detect it', async () => {
    const storage = createMemoryStorage();
    const stored = await storage.put('model.bin', 'good weights');
    storage.corrupt('model.bin', 'bad weights!');
    const { info, body } = await storage.get('model.bin');
    const read = await digestOf(body);
    expect(info.sha256).toBe(stored.sha256);
    expect(info.etag).toBe(stored.etag);
    expect(read.sha256).toBe(sha256Of('bad weights!'));
    expect(read.sha256).not.toBe(info.sha256);
  });

  it('corrupt() of a missing key throws', () => {
    expect(() => createMemoryStorage().corrupt('missing', 'x')).toThrow('no object at "missing"');
  });

  it('rejects a put whose body fails instead of waiting forever', async () => {
    const storage = createMemoryStorage();
    const body = new Readable({
      read() {
        setImmediate(() => this.destroy(new Error('disk went away')));
      },
    });
    const error = await rejectionOf(storage.put('broken', body));
    expect(isCairnError(error, 'TRANSIENT_IO')).toBe(true);
    expect((error as Error).message).toContain('nothing was stored');
    expect(storage.size).toBe(0);
  });

  it('stops a put whose body stalls when the signal aborts', async () => {
    const storage = createMemoryStorage();
    const controller = new AbortController();
    const body = new Readable({
      read() {
        setImmediate(() => controller.abort());
      },
    });
    const error = await rejectionOf(storage.put('stalled', body, { signal: controller.signal }));
    expect(isCairnError(error, 'ABORTED')).toBe(true);
    expect(body.destroyed).toBe(true);
    expect(storage.size).toBe(0);
  });

  it('returns bodies as byte streams that honour read(size)', async () => {
    const storage = createMemoryStorage();
    await storage.put('text', Readable.from([Buffer.from('abc'), Buffer.from('defgh')]));
    const { body } = await storage.get('text');
    expect(body.readableObjectMode).toBe(false);
    await new Promise((resolve) => body.once('readable', resolve));
    expect(body.read(4)?.toString()).toBe('abcd');
    expect((await readAll(body)).toString()).toBe('efgh');
  });
});

describe('memory storage listing options', () => {
  it.each([0, -1, 2.5, Number.NaN])(
    'refuses pageSize %s instead of ending the listing silently',
    async (pageSize) => {
      const storage = createMemoryStorage();
      await storage.put('a', 'x');
      const error = await storage.listPage({ pageSize }).then(
        () => undefined,
        (caught: unknown) => caught,
      );
      expect(isCairnError(error, 'INVALID_OPTIONS')).toBe(true);
      expect((error as Error).message).toContain('[cairn] [memory] Invalid list option "pageSize"');
    },
  );
});
