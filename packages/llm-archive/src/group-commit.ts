/**
 * Shares flushes between concurrent writers: `commit(work)` queues `work` (the writer's own
 * flushes) and resolves once a flush that started after the call has run it. While one flush
 * runs, new calls gather for the next, so N concurrent callers pay about two flushes, not N.
 */
export class GroupCommit {
  private pending: { work: () => Promise<void>; done: (error?: unknown) => void }[] = [];
  private running: Promise<void> | undefined;

  constructor(
    /** Runs once per flush, after every queued writer's own work (e.g. flush the index). */
    private readonly flushShared: () => Promise<void>,
  ) {}

  /** Resolves when `work` and a shared flush after it have completed; rejects if either failed. */
  commit(work: () => Promise<void>): Promise<void> {
    return new Promise((resolve, reject) => {
      this.pending.push({
        work,
        done: (error) => (error === undefined ? resolve() : reject(error)),
      });
      this.running ??= this.drain();
    });
  }

  private async drain(): Promise<void> {
    while (this.pending.length > 0) {
      const batch = this.pending;
      this.pending = [];
      let failure: unknown;
      const results = await Promise.allSettled(batch.map((writer) => writer.work()));
      try {
        await this.flushShared();
      } catch (error) {
        failure = error;
      }
      for (const [index, writer] of batch.entries()) {
        const own = results[index];
        writer.done(own?.status === 'rejected' ? own.reason : failure);
      }
    }
    this.running = undefined;
  }
}
