import { createHash, type Hash } from 'node:crypto';
import { Transform, type TransformCallback } from 'node:stream';
import { CairnError } from '../errors/cairn-error.js';
import { checkpointsBackend } from './checkpoints-backend.js';

/** What a payload must be: a whole checkpoint's, or one rank's shard's. */
export interface ExpectedPayload {
  /** The checkpoint. */
  readonly id: string;
  /** Size in bytes, as the sidecar records it. */
  readonly size: number;
  /** SHA-256, as the sidecar records it; undefined for an external payload (size only). */
  readonly sha256: string | undefined;
  /** The rank, for a shard. */
  readonly rank?: number;
}

/**
 * Passes a payload through while checking it against its sidecar: it fails as soon as more
 * bytes arrive than the sidecar records, and at the end, instead of ending, when the size or
 * SHA-256 differs. A consumer that waits for `end` therefore never accepts bad bytes.
 */
export class PayloadVerifier extends Transform {
  private readonly hash: Hash = createHash('sha256');
  private size = 0;

  constructor(
    private readonly record: ExpectedPayload,
    private readonly key: string,
  ) {
    super();
  }

  override _transform(
    data: Buffer | string,
    _encoding: BufferEncoding,
    done: TransformCallback,
  ): void {
    const chunk = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
    this.size += chunk.length;
    if (this.size > this.record.size) {
      done(this.mismatch(`more than the ${this.record.size} bytes its sidecar records`));
      return;
    }
    this.hash.update(chunk);
    done(null, chunk);
  }

  override _flush(done: TransformCallback): void {
    if (this.size !== this.record.size) {
      done(this.mismatch(`${this.size} bytes, not the ${this.record.size} its sidecar records`));
      return;
    }
    const sha256 = this.hash.digest('hex');
    if (this.record.sha256 !== undefined && sha256 !== this.record.sha256) {
      done(this.mismatch(`SHA-256 ${sha256}, not the ${this.record.sha256} its sidecar records`));
      return;
    }
    done();
  }

  private mismatch(found: string): CairnError {
    return new CairnError({
      code: 'CORRUPT_DATA',
      backend: checkpointsBackend,
      message: `${this.record.rank === undefined ? 'The payload' : `Shard ${this.record.rank}`} of checkpoint "${this.record.id}" at "${this.key}" is damaged: it has ${found}. Its bytes were not accepted; load an older checkpoint, or restore this one from a backup.`,
      details: {
        checkpoint: this.record.id,
        key: this.key,
        ...(this.record.rank === undefined ? {} : { rank: this.record.rank }),
      },
    });
  }
}
