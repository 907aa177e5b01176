import type { Logger } from '../logging/logger.js';
import type { MirrorEventReporter } from './mirrored-storage-events.js';
import type { Storage } from './storage.js';

/** What the parts of a mirror (write, read, repair, scrub) share. */
export interface MirrorContext {
  /** Primary first, then the backups. */
  readonly copies: readonly Storage[];
  /** The mirror's name, used as the `backend` of its own errors. */
  readonly name: string;
  /** Sends an event to the listener and the logger. */
  readonly report: MirrorEventReporter;
  /** Where the mirror logs. */
  readonly logger: Logger;
  /** Largest object verified in memory; larger ones are read twice. */
  readonly bufferLimitBytes: number;
  /** Whether reads rewrite the bad copies they find. */
  readonly repair: boolean;
}
