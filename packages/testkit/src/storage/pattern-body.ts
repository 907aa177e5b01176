import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import type { Digest } from '@cairn/kernel';

/** Chunk size of generated bodies: 64 KiB, a typical stream chunk. */
export const patternChunkBytes = 64 * 1024;

const templates = new Map<string, Buffer>();

// One pseudo-random block per seed, reused for every chunk: filling 100 MiB byte by byte with
// fresh randomness would cost more than the backend under test.
function templateFor(seed: number, chunkBytes: number): Buffer {
  const cacheKey = `${seed}:${chunkBytes}`;
  const cached = templates.get(cacheKey);
  if (cached) return cached;
  const template = Buffer.alloc(chunkBytes);
  let state = seed >>> 0 || 0x9e3779b9;
  for (let offset = 0; offset < chunkBytes; offset++) {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    state >>>= 0;
    template[offset] = state & 0xff;
  }
  templates.set(cacheKey, template);
  return template;
}

/**
 * Deterministic chunks totalling `size` bytes: the seed's block with the chunk number and seed
 * stamped at the start, so equal seeds give equal bytes, different seeds or reordered chunks
 * give different digests. Every chunk is a fresh buffer the consumer may keep.
 */
export function* patternChunks(
  size: number,
  seed: number,
  chunkBytes: number = patternChunkBytes,
): Generator<Buffer> {
  const template = templateFor(seed, chunkBytes);
  let index = 0;
  for (let offset = 0; offset < size; offset += chunkBytes) {
    const length = Math.min(chunkBytes, size - offset);
    const chunk = Buffer.allocUnsafe(length);
    template.copy(chunk, 0, 0, length);
    if (length >= 8) {
      chunk.writeUInt32BE(index, 0);
      chunk.writeUInt32BE(seed >>> 0, 4);
    }
    index += 1;
    yield chunk;
  }
}

/** The digest of {@link patternChunks}, computed without keeping the bytes. */
export function patternDigest(
  size: number,
  seed: number,
  chunkBytes: number = patternChunkBytes,
): Digest {
  const hash = createHash('sha256');
  for (const chunk of patternChunks(size, seed, chunkBytes)) hash.update(chunk);
  return { sha256: hash.digest('hex'), size };
}

/** The bytes of {@link patternChunks} in one buffer; for small sizes only. */
export function patternBytes(size: number, seed: number): Buffer {
  return Buffer.concat([...patternChunks(size, seed)]);
}

/** Options for {@link createPatternBody}. */
export interface PatternBodyOptions {
  /** Total size in bytes. */
  readonly size: number;
  /** Selects the byte pattern. */
  readonly seed: number;
  /** Chunk size; defaults to {@link patternChunkBytes}. */
  readonly chunkBytes?: number;
  /**
   * Called before each chunk is handed to the consumer, with the chunk's number and the bytes
   * handed over so far; may return a promise to delay the chunk. This is how checks sample
   * memory or start concurrent work while a put is streaming.
   */
  readonly onChunk?: (index: number, bytesSoFar: number) => void | Promise<void>;
}

/** A generated body and the digest of what it produced. */
export interface PatternBody {
  /** The body, as a byte-mode Node stream, generated as the consumer reads it. */
  readonly readable: Readable;
  /** The digest of everything generated; throws until the consumer has read to the end. */
  digest(): Digest;
}

/** A streaming body of deterministic bytes that is never held in memory whole. */
export function createPatternBody(options: PatternBodyOptions): PatternBody {
  const hash = createHash('sha256');
  let produced = 0;
  let finished = false;
  let sha256: string | undefined;
  async function* generate(): AsyncGenerator<Buffer> {
    let index = 0;
    for (const chunk of patternChunks(options.size, options.seed, options.chunkBytes)) {
      await options.onChunk?.(index, produced);
      hash.update(chunk);
      produced += chunk.length;
      index += 1;
      yield chunk;
    }
    finished = true;
  }
  return {
    readable: Readable.from(generate(), { objectMode: false }),
    digest() {
      if (!finished) throw new Error('The pattern body has not been read to the end yet.');
      sha256 ??= hash.digest('hex');
      return { sha256, size: produced };
    },
  };
}
