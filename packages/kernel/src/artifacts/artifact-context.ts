import type { Logger } from '../logging/logger.js';
import type { Clock } from '../retry/clock.js';
import type { Storage } from '../storage/storage.js';
import type { ArtifactNaming } from './artifact-naming.js';

/** What every artifact operation works with; built once by `createArtifactStore`. */
export interface ArtifactContext {
  readonly storage: Storage;
  readonly naming: ArtifactNaming;
  readonly logger: Logger;
  /** Time for records and for waits while racing other writers. */
  readonly clock: Clock;
  /** Randomness for jittered waits (tests seed it). */
  readonly random: () => number;
}

/** The context's time as an ISO 8601 string. */
export function isoNow(context: ArtifactContext): string {
  return new Date(context.clock.now()).toISOString();
}

/** A short, jittered wait between compare-and-swap attempts: `attempt` from 1. */
export function contentionDelay(context: ArtifactContext, attempt: number): number {
  return Math.round(context.random() * Math.min(500, 5 * 2 ** Math.min(attempt, 10)));
}
