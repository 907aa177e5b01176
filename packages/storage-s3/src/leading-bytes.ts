import { Readable } from 'node:stream';

/** The start of a stream, read ahead to choose between a single put and a multipart upload. */
export interface LeadingBytes {
  /** Everything read so far. */
  readonly bytes: Buffer;
  /** Whether that is the whole stream. */
  readonly ended: boolean;
  /**
   * The whole stream again, the bytes read ahead first; only when not `ended`. Reading it
   * continues the source, which is consumed once.
   */
  readonly rest: Readable | undefined;
}

/**
 * Reads `source` until more than `limit` bytes have arrived or it ends. A body that fits in one
 * part is then sent in one request, with its digest known before the write; a longer one
 * continues as a stream, holding no more than one part in memory here.
 */
export async function readLeadingBytes(
  source: Readable,
  limit: number,
  signal: AbortSignal | undefined,
): Promise<LeadingBytes> {
  const iterator = source[Symbol.asyncIterator]() as AsyncIterator<Buffer | string>;
  const chunks: Buffer[] = [];
  let size = 0;
  // A body that stalls must not hold an aborted put: destroying the source ends the wait.
  const onAbort = () => source.destroy(new AbortedRead(signal?.reason));
  signal?.addEventListener('abort', onAbort, { once: true });
  try {
    while (size <= limit) {
      const next = await iterator.next();
      if (next.done) return { bytes: Buffer.concat(chunks, size), ended: true, rest: undefined };
      const chunk = typeof next.value === 'string' ? Buffer.from(next.value, 'utf8') : next.value;
      chunks.push(chunk);
      size += chunk.length;
    }
  } finally {
    signal?.removeEventListener('abort', onAbort);
  }
  async function* continued(): AsyncGenerator<Buffer> {
    yield* chunks.splice(0);
    while (true) {
      const next = await iterator.next();
      if (next.done) return;
      yield typeof next.value === 'string' ? Buffer.from(next.value, 'utf8') : next.value;
    }
  }
  const rest = Readable.from(continued(), { objectMode: false });
  // Destroying the continuation (a failed upload) must release the caller's stream too.
  rest.once('close', () => {
    if (!source.destroyed) source.destroy();
  });
  return { bytes: Buffer.alloc(0), ended: false, rest };
}

/** The error a body is destroyed with when the put reading it is aborted. */
export class AbortedRead extends Error {
  constructor(reason: unknown) {
    super('The put reading this body was aborted.', { cause: reason });
    this.name = 'AbortedRead';
  }
}
