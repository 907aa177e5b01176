import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { describe, expect, it } from 'vitest';
import { digestOf } from '../storage/body.js';
import { createDiskStorage } from '../testing/checkpoints-disk-storage.js';
import { storeOver, testRun } from '../testing/checkpoints-fixtures.js';
import { temporaryProjects } from '../testing/temporary-project.js';

const temporaryDirectory = temporaryProjects('cairn-checkpoints-large');

const payloadBytes = 64 * 1024 * 1024;
const chunkBytes = 64 * 1024;

// A full collection before each sample measures what is still held, not garbage the collector
// has not reached yet (which depends on the machine's mood, not on the code under test).
setFlagsFromString('--expose-gc');
const collectGarbage = runInNewContext('gc') as () => void;

/** Memory that payload bytes can occupy: the JS heap plus Buffers. */
function memoryInUse(): number {
  const usage = process.memoryUsage();
  return usage.heapUsed + usage.arrayBuffers;
}

/**
 * Memory still held: after a full collection, and again after the event loop turned once, as
 * V8 frees the memory of collected Buffers in the background.
 */
async function memoryHeld(): Promise<number> {
  collectGarbage();
  await new Promise((resolve) => setImmediate(resolve));
  collectGarbage();
  return memoryInUse();
}

/**
 * Tracks the highest memory held above the level at creation, sampled on a timer (so every
 * phase is covered: writing, reading back, streaming out) until `stop`.
 */
async function memorySampler() {
  const baseline = await memoryHeld();
  let peak = baseline;
  let sampling = false;
  const timer = setInterval(async () => {
    if (sampling) return;
    sampling = true;
    const held = await memoryHeld();
    peak = Math.max(peak, held);
    sampling = false;
  }, 250);
  return {
    async stop(): Promise<number> {
      clearInterval(timer);
      peak = Math.max(peak, await memoryHeld());
      return peak - baseline;
    },
  };
}

/** 64 MiB made chunk by chunk (each chunk different), hashed as it goes. */
function generatedPayload() {
  const hash = createHash('sha256');
  async function* chunks() {
    for (let offset = 0; offset < payloadBytes; offset += chunkBytes) {
      const chunk = Buffer.alloc(chunkBytes, offset / chunkBytes);
      chunk.writeUInt32BE(offset, 0);
      hash.update(chunk);
      yield chunk;
    }
  }
  return { chunks: chunks(), sha256: () => hash.digest('hex') };
}

describe('large payloads', () => {
  it('saves a 64 MiB stream, verifies it and restores it to a file with flat memory', async () => {
    const directory = await temporaryDirectory();
    await mkdir(path.join(directory, 'storage'));
    const { store } = storeOver(createDiskStorage(path.join(directory, 'storage')));

    const saving = await memorySampler();
    const payload = generatedPayload();
    const saved = await store.save({ run: testRun, step: 'train', body: payload.chunks });
    const savingGrowth = await saving.stop();
    expect(saved.size).toBe(payloadBytes);
    expect(saved.sha256).toBe(payload.sha256());
    // Holding the payload (or its read-back) whole would take 64 MiB or more.
    expect(savingGrowth).toBeLessThan(payloadBytes / 4);

    const restoring = await memorySampler();
    const opened = await store.open({ id: saved.id });
    let streamed = 0;
    for await (const chunk of opened.body) {
      streamed += (chunk as Buffer).length;
    }
    expect(streamed).toBe(payloadBytes);
    const target = path.join(directory, 'model.bin');
    await store.restoreToFile({ id: saved.id }, target);
    const restoringGrowth = await restoring.stop();
    expect((await stat(target)).size).toBe(payloadBytes);
    expect(restoringGrowth).toBeLessThan(payloadBytes / 4);
    expect((await digestOf(createReadStream(target))).sha256).toBe(saved.sha256);
  });
});
