import type { Storage, StorageCapabilities } from '@cairn/kernel';
import { afterAll, beforeAll, describe, it } from 'vitest';
import { expectedCapabilitiesCheck } from './capability-checks.js';
import {
  createCheckContext,
  defaultLargeObjectBytes,
  defaultMemoryHeadroomBytes,
  type StorageCheck,
} from './check-context.js';
import { storageCheckGroups } from './storage-checks.js';

/** How {@link describeStorageConformance} builds, tests and tears down a backend. */
export interface StorageConformanceOptions<Backend extends Storage = Storage> {
  /** Names the suite in the report, e.g. `fs` or `s3 (MinIO)`. */
  readonly name: string;
  /** Builds the storage under test, once for the whole suite. */
  readonly create: () => Backend | Promise<Backend>;
  /**
   * Tears the storage down after the suite: close it, remove its temporary directory or
   * bucket. Without it the suite calls `storage.close()` when the storage has one.
   */
  readonly destroy?: (storage: Backend) => void | Promise<void>;
  /**
   * Capabilities the backend must declare. Each one given is asserted in its own test, so a
   * backend that stops declaring a capability fails instead of quietly skipping its checks.
   * Checks that need a capability the storage does not declare are reported as skipped.
   */
  readonly capabilities?: Partial<StorageCapabilities>;
  /**
   * Registers backend-specific tests inside the suite; `getStorage()` returns the storage
   * under test once the suite is running (call it inside tests, not while registering).
   */
  readonly additionalTests?: (getStorage: () => Backend) => void;
  /** Size of the object the large-object check streams; default 100 MiB. */
  readonly largeObjectBytes?: number;
  /**
   * Memory growth allowed while the large object streams (RSS, and V8 heap plus buffers);
   * default 48 MiB.
   */
  readonly memoryHeadroomBytes?: number;
  /**
   * The backend keeps objects in process memory: its put may grow memory by the object's
   * size plus the headroom (no second copy), instead of the headroom alone.
   */
  readonly storesInMemory?: boolean;
  /** Time limit of each test in milliseconds; default 120 000 (remote backends are slow). */
  readonly timeoutMs?: number;
}

/**
 * Registers the storage conformance suite with vitest: one `describe` block per topic and
 * one `it` per check, run against the storage `create` builds. Call it at the top level of a
 * spec file.
 *
 * @example
 * describeStorageConformance({
 *   name: 'memory',
 *   create: () => createMemoryStorage(),
 *   storesInMemory: true,
 * });
 */
export function describeStorageConformance<Backend extends Storage>(
  options: StorageConformanceOptions<Backend>,
): void {
  const timeoutMs = options.timeoutMs ?? 120_000;

  describe(`storage conformance: ${options.name}`, () => {
    let storage: Backend | undefined;

    const getStorage = (): Backend => {
      if (storage === undefined) {
        throw new Error(
          `[cairn] [testkit] The ${options.name} storage is not ready: call getStorage() inside a test or hook, not while registering tests.`,
        );
      }
      return storage;
    };

    beforeAll(async () => {
      storage = await options.create();
    }, timeoutMs);

    afterAll(async () => {
      if (storage === undefined) return;
      if (options.destroy) await options.destroy(storage);
      else await storage.close?.();
    }, timeoutMs);

    const register = (check: StorageCheck) => {
      it(
        check.title,
        async (testContext) => {
          const current = getStorage();
          if (check.requires !== undefined && !current.capabilities[check.requires]) {
            testContext.skip(`${current.name} does not declare the ${check.requires} capability`);
          }
          await check.run(
            createCheckContext(current, {
              largeObjectBytes: options.largeObjectBytes ?? defaultLargeObjectBytes,
              memoryHeadroomBytes: options.memoryHeadroomBytes ?? defaultMemoryHeadroomBytes,
              storesInMemory: options.storesInMemory ?? false,
              note: (message) => {
                // Annotations are informational: a reporter that cannot take one must not
                // fail the check.
                testContext.annotate(message).catch(() => undefined);
              },
            }),
          );
        },
        timeoutMs,
      );
    };

    if (options.capabilities !== undefined)
      register(expectedCapabilitiesCheck(options.capabilities));
    for (const group of storageCheckGroups) {
      describe(group.title, () => {
        for (const check of group.checks) register(check);
      });
    }
    if (options.additionalTests) {
      const additionalTests = options.additionalTests;
      describe('additional tests', () => additionalTests(getStorage));
    }
  });
}
