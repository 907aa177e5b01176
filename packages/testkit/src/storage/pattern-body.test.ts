import { createHash } from 'node:crypto';
import { digestOf } from '@cairn/kernel';
import { describe, expect, it } from 'vitest';
import {
  createPatternBody,
  patternBytes,
  patternChunkBytes,
  patternChunks,
  patternDigest,
} from './pattern-body.js';

describe('pattern bodies', () => {
  it('produce exactly the requested size, with a short last chunk', () => {
    const size = 3 * patternChunkBytes + 5;
    const lengths = [...patternChunks(size, 1)].map((chunk) => chunk.length);
    expect(lengths).toEqual([patternChunkBytes, patternChunkBytes, patternChunkBytes, 5]);
  });

  it('are deterministic per seed and differ between seeds', () => {
    expect(patternDigest(200_000, 4)).toEqual(patternDigest(200_000, 4));
    expect(patternDigest(200_000, 4).sha256).not.toBe(patternDigest(200_000, 5).sha256);
  });

  it('differ when chunks are reordered, since each chunk carries its number', () => {
    const [first, second] = [...patternChunks(2 * patternChunkBytes, 3)];
    if (!first || !second) throw new Error('expected two chunks');
    expect(first.equals(second)).toBe(false);
    const swapped = createHash('sha256').update(second).update(first).digest('hex');
    expect(swapped).not.toBe(patternDigest(2 * patternChunkBytes, 3).sha256);
  });

  it('hand out a fresh buffer per chunk, so a consumer may keep them', () => {
    const chunks = [...patternChunks(3 * patternChunkBytes, 2)];
    expect(new Set(chunks.map((chunk) => chunk.buffer)).size).toBe(3);
    expect(Buffer.concat(chunks).equals(patternBytes(3 * patternChunkBytes, 2))).toBe(true);
  });

  it('stream the same bytes as patternDigest and report the digest once read', async () => {
    const size = 5 * patternChunkBytes + 123;
    const body = createPatternBody({ size, seed: 9 });
    expect(() => body.digest()).toThrow('not been read to the end');
    expect(body.readable.readableObjectMode).toBe(false);
    const read = await digestOf(body.readable);
    expect(read).toEqual(patternDigest(size, 9));
    expect(body.digest()).toEqual(read);
  });

  it('call onChunk before each chunk with the bytes handed over so far', async () => {
    const calls: Array<[number, number]> = [];
    const body = createPatternBody({
      size: 2 * patternChunkBytes + 1,
      seed: 1,
      onChunk: (index, bytesSoFar) => {
        calls.push([index, bytesSoFar]);
      },
    });
    await digestOf(body.readable);
    expect(calls).toEqual([
      [0, 0],
      [1, patternChunkBytes],
      [2, 2 * patternChunkBytes],
    ]);
  });
});
