import type { MirrorEvent, MirrorEventListener } from '../storage/mirrored-storage-events.js';
import type { Storage } from '../storage/storage.js';
import type { StorageProblem } from './checkpoint-store.js';
import type { StoreContext } from './store-context.js';

/** A storage that reports copy problems, as a mirrored storage does. */
interface SubscribableStorage extends Storage {
  subscribe(listener: MirrorEventListener): () => void;
}

function isSubscribable(storage: Storage): storage is SubscribableStorage {
  return typeof (storage as Partial<SubscribableStorage>).subscribe === 'function';
}

/** Problems seen while watching; `stop` ends the watch. */
export interface ProblemWatch {
  /** Everything reported so far about the checkpoint's keys, in order. */
  readonly problems: StorageProblem[];
  /**
   * Names the checkpoint being read once it is known: events held back about its keys are
   * reported, those about other keys dropped (the mirror logs them itself).
   */
  focus(checkpoint: string, keys: readonly string[]): void;
  /** Stops listening. Safe to call more than once. */
  stop(): void;
}

/**
 * Listens to the storage's copy problems (when it is a mirror) while a checkpoint is read:
 * each event about the checkpoint's keys becomes a {@link StorageProblem}, a `storage-problem`
 * journal event and a warning in the log. Until {@link ProblemWatch.focus} names the
 * checkpoint (a read by step finds it first), events about keys under `prefix` are held back,
 * so repairs of its sidecar made while finding it are reported too. On storage that reports
 * nothing, the list stays empty.
 *
 * Another read of the same keys running at the same time on the same mirror is reported to
 * both: the mirror does not say which read found what.
 */
export function watchStorageProblems(context: StoreContext, prefix: string): ProblemWatch {
  const problems: StorageProblem[] = [];
  let focused: { readonly checkpoint: string; readonly keys: ReadonlySet<string> } | undefined;
  let held: MirrorEvent[] = [];
  const report = (checkpoint: string, event: MirrorEvent) => {
    const problem = toStorageProblem(event);
    problems.push(problem);
    const detail = problem.detail === undefined ? {} : { detail: problem.detail };
    context.logger.warn(
      { checkpoint, problem: problem.problem, key: problem.key, copy: problem.copy, ...detail },
      `checkpoint storage ${problem.problem}`,
    );
    context.emit({
      type: 'storage-problem',
      problem: problem.problem,
      key: problem.key,
      copy: problem.copy,
      ...detail,
    });
  };
  const unsubscribe = isSubscribable(context.storage)
    ? context.storage.subscribe((event) => {
        if (focused === undefined) {
          if (event.key.startsWith(prefix)) held.push(event);
        } else if (focused.keys.has(event.key)) {
          report(focused.checkpoint, event);
        }
      })
    : () => {};
  let stopped = false;
  return {
    problems,
    focus(checkpoint, keys) {
      focused = { checkpoint, keys: new Set(keys) };
      for (const event of held) if (focused.keys.has(event.key)) report(checkpoint, event);
      held = [];
    },
    stop() {
      if (stopped) return;
      stopped = true;
      unsubscribe();
    },
  };
}

/** A mirror event as the store reports it: which copy, and a one-line detail. */
export function toStorageProblem(event: MirrorEvent): StorageProblem {
  const copy =
    event.copy === 0
      ? `copy 0 (${event.copyName}, primary)`
      : `copy ${event.copy} (${event.copyName})`;
  const detail = describeEvent(event);
  return {
    problem: event.type,
    key: event.key,
    copy,
    ...(detail === undefined ? {} : { detail }),
    event,
  };
}

function describeEvent(event: MirrorEvent): string | undefined {
  switch (event.type) {
    case 'copy-corrupt':
    case 'copy-stale':
      return `expected SHA-256 ${event.expected}, found ${event.actual}`;
    case 'copy-repaired':
      return `rewritten from copy ${event.source} (SHA-256 ${event.sha256})`;
    case 'copy-unreadable':
    case 'repair-failed':
    case 'copy-write-failed':
      return messageOf(event.error);
    case 'copy-missing':
    case 'copy-unverified':
      return undefined;
  }
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
