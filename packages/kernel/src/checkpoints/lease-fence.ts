import { CairnError, isCairnError } from '../errors/cairn-error.js';
import type { RunLease } from '../runs/run-lease.js';
import { readRunRecord } from '../runs/run-status.js';
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

/** A check that met a storage error: nothing was committed, and the lease is not lost. */
function notConfirmed(id: string, lease: RunLease, error: CairnError): CairnError {
  return new CairnError({
    code: error.code,
    retryable: error.retryable,
    backend: checkpointsBackend,
    message: `Checkpoint "${id}" was not committed: the run lease could not be confirmed (${error.message})${error.retryable ? '; save again' : ''}.`,
    cause: error,
    details: { checkpoint: id, run: lease.run, generation: lease.generation },
  });
}

/**
 * Confirms the lease right before the commit.
 * @throws CairnError `CONFLICT` when it is lost; when the check cannot tell (the run record
 *   could not be read), an error with the code and `retryable` of what it met, saying that
 *   nothing was committed.
 */
export async function confirmBeforeCommit(lease: RunLease, id: string): Promise<void> {
  try {
    await lease.confirm();
  } catch (error) {
    if (isCairnError(error, 'CONFLICT')) throw notCommitted(id, lease, error, false);
    if (isCairnError(error)) throw notConfirmed(id, lease, error);
    throw error;
  }
}

/**
 * Whether the run's new owner already resumed from checkpoint `id` (its run record lists it
 * in `resumedFrom`): taking it back would delete what the new owner depends on. A record that
 * cannot be read says nothing, and the take-back goes on.
 */
async function resumedFromByNewOwner(
  context: StoreContext,
  lease: RunLease,
  id: string,
): Promise<boolean> {
  try {
    const stored = await readRunRecord(context.storage, lease.run);
    return stored?.record.resumedFrom?.includes(id) === true;
  } catch {
    return false;
  }
}

function keptForNewOwner(id: string, lease: RunLease, error: CairnError): CairnError {
  return new CairnError({
    code: 'CONFLICT',
    retryable: false,
    backend: checkpointsBackend,
    message: `Checkpoint "${id}" was committed as this process lost the run, and is kept: the run's new owner already resumed from it. ${error.message}`,
    cause: error,
    details: { checkpoint: id, run: lease.run, generation: lease.generation, kept: true },
  });
}

/**
 * Confirms the lease once more right after the commit and takes the commit back when it was
 * lost meanwhile. S3 has no transaction spanning the run record and the sidecar, so a takeover
 * can land between the check before the commit and the commit itself; checking again narrows
 * what a stale writer can leave behind to that gap, and removes what leaked through it. A
 * check that cannot tell (storage down) keeps the commit: the lease held a moment before. A
 * commit the new owner already resumed from (a new owner resuming in the gap) is kept too.
 *
 * @throws CairnError `CONFLICT` when the lease was lost (the sidecar is then taken back, unless
 *   the new owner resumed from it: `details.kept`).
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
      if (await resumedFromByNewOwner(context, lease, id)) throw keptForNewOwner(id, lease, error);
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
