import { createHash, type Hash } from 'node:crypto';
import { Readable, Transform, type TransformCallback } from 'node:stream';
import type { StorageBody } from './storage.js';

/**
 * Turns any {@link StorageBody} into a Node readable stream without copying or buffering:
 * strings and bytes become a one-chunk stream, web streams and async iterables are adapted.
 */
export function toReadable(body: StorageBody): Readable {
  if (typeof body === 'string') return Readable.from([Buffer.from(body, 'utf8')]);
  if (body instanceof Uint8Array) return Readable.from([body]);
  if (body instanceof Readable) return body;
  if (isWebStream(body)) return Readable.fromWeb(body as import('node:stream/web').ReadableStream);
  return Readable.from(body);
}

function isWebStream(body: object): body is ReadableStream<Uint8Array> {
  return typeof (body as ReadableStream).getReader === 'function';
}

/** The digest and length of bytes that passed through a {@link DigestTransform}. */
export interface Digest {
  /** Lowercase hex SHA-256. */
  readonly sha256: string;
  /** Number of bytes. */
  readonly size: number;
}

/**
 * A pass-through stream that hashes what flows through it, so a backend can write and hash in
 * one pass. `digest()` is valid once the stream has ended.
 */
export class DigestTransform extends Transform {
  private readonly hash: Hash = createHash('sha256');
  private bytes = 0;
  private result: Digest | undefined;

  override _transform(chunk: Buffer | string, _encoding: BufferEncoding, done: TransformCallback) {
    const bytes = typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : chunk;
    this.hash.update(bytes);
    this.bytes += bytes.length;
    done(null, bytes);
  }

  override _flush(done: TransformCallback) {
    this.result = { sha256: this.hash.digest('hex'), size: this.bytes };
    done();
  }

  /** The digest of everything that passed; throws if the stream has not finished. */
  digest(): Digest {
    if (this.result === undefined)
      throw new Error('DigestTransform.digest() called before the end');
    return this.result;
  }
}

/** Hex SHA-256 of bytes or a string held in memory. */
export function sha256Of(data: Uint8Array | string): string {
  return createHash('sha256').update(data).digest('hex');
}

/** Reads a stream to its end, returning its digest without keeping the bytes. */
export async function digestOf(stream: AsyncIterable<Uint8Array | string>): Promise<Digest> {
  const hash = createHash('sha256');
  let size = 0;
  for await (const chunk of stream) {
    const bytes = typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : chunk;
    hash.update(bytes);
    size += bytes.length;
  }
  return { sha256: hash.digest('hex'), size };
}

/**
 * Reads a stream into one buffer. Only for bodies known to be small (sidecars, records):
 * large payloads must be streamed.
 */
export async function readAll(stream: AsyncIterable<Uint8Array | string>): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) {
    chunks.push(typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : Buffer.from(chunk));
  }
  return Buffer.concat(chunks);
}
