import { CairnError, isCairnError } from '../errors/cairn-error.js';
import type { RunLease } from '../runs/run-lease.js';
import { checkpointsBackend } from './checkpoints-backend.js';
import type { StoreContext } from './store-context.js';
import { uncommit } from './write-payload.js';

function notCommitted(id: string, lease: RunLease, error: CairnError, taken: boolean): CairnError {
  return new CairnError({
    code: 'CONFLICT',
    retryable: false,
    backend: checkpointsBackend,
    message: `Checkpoint "${id}" was not committed${taken ? ' (its sidecar was taken back)' : ''}: ${error.message}`,
    cause: error,
    details: { checkpoint: id, run: lease.run, generation: lease.generation },
  });
}

/**
 * Confirms the lease right before the commit.
 * @throws CairnError `CONFLICT` when it is lost; whatever the check met when it cannot tell.
 */
export async function confirmBeforeCommit(lease: RunLease, id: string): Promise<void> {
  try {
    await lease.confirm();
  } catch (error) {
    if (isCairnError(error, 'CONFLICT')) throw notCommitted(id, lease, error, false);
    throw error;
  }
}

/**
 * Confirms the lease once more right after the commit and takes the commit back when it was
 * lost meanwhile. S3 has no transaction spanning the run record and the sidecar, so a takeover
 * can land between the check before the commit and the commit itself; checking again narrows
 * what a stale writer can leave behind to that gap, and removes what leaked through it. A
 * check that cannot tell (storage down) keeps the commit: the lease held a moment before.
 *
 * @throws CairnError `CONFLICT` when the lease was lost (the sidecar is then taken back).
 */
export async function confirmAfterCommit(
  context: StoreContext,
  lease: RunLease,
  id: string,
  keys: { readonly sidecar: string; readonly payload: string },
): Promise<void> {
  try {
    await lease.confirm();
  } catch (error) {
    if (isCairnError(error, 'CONFLICT')) {
      await uncommit(context, id, keys);
      throw notCommitted(id, lease, error, true);
    }
    context.logger.warn(
      {
        checkpoint: id,
        run: lease.run,
        error: error instanceof Error ? error.message : String(error),
      },
      'could not confirm the run lease after committing a checkpoint; the commit is kept (the lease held just before it)',
    );
  }
}
