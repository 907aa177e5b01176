import { abortedError } from '../errors/aborted-error.js';

/** The name indexing reports in errors (`[cairn] [index] …`). */
export const indexingBackend = 'index';

/**
 * Throws `ABORTED` when `signal` has fired: sources and the indexer call it before each piece
 * of work, so a cancel stops them between reads.
 */
export function throwIfAborted(signal: AbortSignal | undefined, what: string): void {
  if (signal?.aborted) throw abortedError(indexingBackend, signal.reason, what);
}
