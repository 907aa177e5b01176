import { createHash } from 'node:crypto';
import { Transform, type TransformCallback } from 'node:stream';
import { CairnError } from '@cairn/kernel';
import { s3StorageName } from './s3-storage-options.js';

/**
 * Hashes what streams through it and, when `expectedSha256` is given, fails at the end of the
 * stream instead of ending it if the bytes differ. A multipart upload only completes after its
 * source has ended, so a mismatch stops the upload before the object becomes visible.
 */
export class VerifyingDigest extends Transform {
  readonly #hash = createHash('sha256');
  readonly #expectedSha256: string | undefined;
  readonly #key: string;
  #size = 0;
  #sha256: string | undefined;

  constructor(key: string, expectedSha256: string | undefined) {
    super();
    this.#key = key;
    this.#expectedSha256 = expectedSha256?.toLowerCase();
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, done: TransformCallback): void {
    this.#hash.update(chunk);
    this.#size += chunk.length;
    done(null, chunk);
  }

  override _flush(done: TransformCallback): void {
    const sha256 = this.#hash.digest('hex');
    this.#sha256 = sha256;
    if (this.#expectedSha256 === undefined || this.#expectedSha256 === sha256) {
      done();
      return;
    }
    done(
      new CairnError({
        code: 'CORRUPT_DATA',
        backend: s3StorageName,
        message: `The bytes written to "${this.#key}" have SHA-256 ${sha256}, not the expected ${this.#expectedSha256}; the upload was abandoned and nothing was stored. Check the source of the stream.`,
        details: { key: this.#key, sha256, expectedSha256: this.#expectedSha256, size: this.#size },
      }),
    );
  }

  /**
   * Bytes that passed so far. Not named `size` or `length`: lib-storage reads those to learn a
   * body's total size up front.
   */
  get bytesPassed(): number {
    return this.#size;
  }

  /** The SHA-256 of everything that passed; defined once the stream has ended. */
  get sha256(): string | undefined {
    return this.#sha256;
  }
}
