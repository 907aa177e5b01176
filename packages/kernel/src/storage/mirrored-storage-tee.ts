import { PassThrough, type Readable } from 'node:stream';

/** One source stream split into several, moving at the pace of the slowest. */
export interface StreamTee {
  /** One stream per consumer, each carrying every byte of the source. */
  readonly branches: readonly PassThrough[];
  /**
   * Stops feeding branch `index` (its consumer failed or finished early) so the others are
   * not held back by a reader that will never drain. Detaching the last branch destroys the
   * source. Calling it twice is harmless.
   */
  detach(index: number): void;
}

/** Options of {@link teeStream}. */
export interface TeeOptions {
  /**
   * On a source error, end the branches instead of destroying them. Only for consumers that
   * all write with `expectedSha256`: they refuse the truncated bytes anyway, and a plain end
   * also stops consumers that do not propagate stream errors (which would otherwise wait
   * forever for the next chunk).
   */
  readonly endBranchesOnSourceError?: boolean;
}

/**
 * Splits `source` into `count` branches without buffering it whole: the source pauses until
 * every attached branch has taken the current chunk (Node's `pipe` tracks each destination's
 * drain). A source error destroys every branch with that error, unless told to end them.
 */
export function teeStream(source: Readable, count: number, options: TeeOptions = {}): StreamTee {
  const branches: PassThrough[] = [];
  const attached = new Set<number>();
  for (let index = 0; index < count; index++) {
    const branch = new PassThrough();
    // Consumers learn of failures through their own operations; without a listener, an error
    // on a branch whose consumer already gave up would crash the process.
    branch.on('error', () => {});
    branches.push(branch);
    attached.add(index);
  }

  function detach(index: number): void {
    if (!attached.delete(index)) return;
    const branch = branches[index] as PassThrough;
    source.unpipe(branch);
    branch.destroy();
    if (attached.size === 0) source.destroy();
  }

  source.on('error', (error) => {
    for (const index of attached) {
      const branch = branches[index] as PassThrough;
      if (options.endBranchesOnSourceError) branch.end();
      else branch.destroy(error);
    }
    attached.clear();
  });
  branches.forEach((branch, index) => {
    // A consumer that destroys its branch itself must not stall the others.
    branch.on('close', () => {
      if (!branch.readableEnded) detach(index);
    });
    source.pipe(branch);
  });
  return { branches, detach };
}
