import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';

/** Chunk size of generated bodies: what `fs.createReadStream` hands out by default. */
const chunkBytes = 64 * 1024;

// One random mebibyte to copy chunks from: incompressible, and cheap to produce per round.
const pattern = randomBytes(1024 * 1024);

/**
 * A stream of `size` bytes in 64 KiB chunks, made on demand so that no benchmark holds its
 * body in memory. Each chunk is a fresh buffer, as from a file or a socket: a storage that
 * kept chunks alive would show it in the memory growth (slices of one buffer would hide it).
 * Both sides of a comparison get the same kind of stream.
 */
export function generatedBody(size: number): Readable {
  async function* chunks() {
    let offset = 0;
    while (offset < size) {
      const length = Math.min(chunkBytes, size - offset);
      const start = offset % pattern.length;
      const chunk = Buffer.allocUnsafe(length);
      pattern.copy(chunk, 0, start, start + length);
      yield chunk;
      offset += length;
    }
  }
  return Readable.from(chunks(), { objectMode: false });
}
