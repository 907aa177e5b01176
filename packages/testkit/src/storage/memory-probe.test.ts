import { describe, expect, it } from 'vitest';
import { formatMebibytes, MemoryProbe } from './memory-probe.js';

const mebibyte = 1024 * 1024;

describe('MemoryProbe', () => {
  it('reaches the garbage collector on this Node version', () => {
    expect(MemoryProbe.collectsGarbage).toBe(true);
  });

  it('sees memory that is still held', async () => {
    const probe = await MemoryProbe.start();
    const held = Buffer.alloc(32 * mebibyte, 1);
    probe.sample();
    expect(held.length).toBe(32 * mebibyte);
    expect(probe.growth.heapBytes).toBeGreaterThanOrEqual(30 * mebibyte);
    expect(probe.growth.samples).toBe(1);
  });

  it('does not count memory that was let go before the sample', async () => {
    const probe = await MemoryProbe.start();
    let dropped: Buffer | undefined = Buffer.alloc(32 * mebibyte, 1);
    expect(dropped.length).toBe(32 * mebibyte);
    dropped = undefined;
    probe.sample();
    expect(dropped).toBeUndefined();
    expect(probe.growth.heapBytes).toBeLessThan(16 * mebibyte);
  });

  it('keeps the peak, not the last sample', async () => {
    const probe = await MemoryProbe.start();
    let held: Buffer | undefined = Buffer.alloc(32 * mebibyte, 1);
    probe.sample();
    held = undefined;
    probe.sample();
    expect(held).toBeUndefined();
    expect(probe.growth.heapBytes).toBeGreaterThanOrEqual(30 * mebibyte);
    expect(probe.growth.samples).toBe(2);
  });

  it('formats bytes as MiB', () => {
    expect(formatMebibytes(48 * mebibyte)).toBe('48.0 MiB');
    expect(formatMebibytes(1.25 * mebibyte)).toBe('1.3 MiB');
  });
});
