import type { JournalEvent } from '../journal/journal-events.js';
import { summariseError } from '../journal/journal-events.js';
import type { ResolvedCheckpointStoreOptions } from './checkpoint-store-options.js';

/** What the parts of a checkpoint store (save, read, discover, prune) share. */
export interface StoreContext extends ResolvedCheckpointStoreOptions {
  /** Ids `protect()` was called with. */
  readonly protectedIds: Set<string>;
  /** The last `sequence` handed out per run and step (see `allocateSequence`). */
  readonly sequences: Map<string, Promise<number>>;
  /** Sends a journal event to `onEvent`; a throwing listener is logged, never rethrown. */
  emit(event: JournalEvent): void;
}

/** Builds the shared context from validated options. */
export function createStoreContext(options: ResolvedCheckpointStoreOptions): StoreContext {
  return {
    ...options,
    protectedIds: new Set(),
    sequences: new Map(),
    emit(event) {
      if (options.onEvent === undefined) return;
      try {
        options.onEvent(event);
      } catch (error) {
        // A broken listener must not fail a save that has committed.
        options.logger.error(
          { type: event.type, error: summariseError(error) },
          'checkpoint store onEvent listener threw',
        );
      }
    },
  };
}
