import { randomBytes } from 'node:crypto';
import type { Storage } from '@cairn/kernel';

/** The capabilities a check can depend on; a check that needs one is skipped without it. */
export type CapabilityFlag = 'conditionalWrites' | 'rangedReads' | 'sha256' | 'atomicPut';

/** What every conformance check receives. */
export interface CheckContext {
  /** The storage under test. */
  readonly storage: Storage;
  /**
   * A key prefix no other check uses, ending with `/`. Every key a check writes starts with
   * it, so checks never see each other's objects even in a shared bucket.
   */
  readonly prefix: string;
  /** Size of the object streamed by the large-object check, in bytes. */
  readonly largeObjectBytes: number;
  /**
   * How much the process may grow (RSS, and V8 heap plus external buffers) while the large
   * object streams, beyond what the backend legitimately keeps.
   */
  readonly memoryHeadroomBytes: number;
  /**
   * The backend keeps objects in process memory (like the memory backend): a put may grow
   * memory by the object's size, but not more.
   */
  readonly storesInMemory: boolean;
  /** Attaches a measurement to the running test's report; a no-op outside a test runner. */
  readonly note: (message: string) => void;
}

/** One conformance check: a plain async function that throws (an assertion) when it fails. */
export interface StorageCheck {
  /** What the check proves, phrased as the test title. */
  readonly title: string;
  /** The capability the check exercises; backends without it skip the check. */
  readonly requires?: CapabilityFlag;
  /** Runs the check; resolves when the backend conforms, rejects when it does not. */
  run(context: CheckContext): Promise<void>;
}

/** A named group of checks, reported as one `describe` block. */
export interface StorageCheckGroup {
  /** The group's title, e.g. `list` or `conditional writes`. */
  readonly title: string;
  /** The checks, in the order they run. */
  readonly checks: readonly StorageCheck[];
}

/** The default size of the large streamed object: 100 MiB. */
export const defaultLargeObjectBytes = 100 * 1024 * 1024;

/** The default memory growth allowed while streaming: 48 MiB. */
export const defaultMemoryHeadroomBytes = 48 * 1024 * 1024;

// Distinct per process, so two runs against the same bucket never share keys.
const runIdentifier = `${Date.now().toString(36)}-${randomBytes(4).toString('hex')}`;
let prefixCounter = 0;

/** A fresh key prefix, ending with `/`, that no other check of this process uses. */
export function uniquePrefix(): string {
  prefixCounter += 1;
  return `cairn-conformance/${runIdentifier}/${prefixCounter.toString().padStart(4, '0')}/`;
}

/**
 * Builds the context for running a check by hand, e.g. against a deliberately broken backend.
 * Omitted settings take the suite's defaults and a fresh {@link uniquePrefix}.
 */
export function createCheckContext(
  storage: Storage,
  overrides: Partial<Omit<CheckContext, 'storage'>> = {},
): CheckContext {
  return {
    storage,
    prefix: overrides.prefix ?? uniquePrefix(),
    largeObjectBytes: overrides.largeObjectBytes ?? defaultLargeObjectBytes,
    memoryHeadroomBytes: overrides.memoryHeadroomBytes ?? defaultMemoryHeadroomBytes,
    storesInMemory: overrides.storesInMemory ?? false,
    note: overrides.note ?? (() => {}),
  };
}
