import { describe, it } from 'vitest';
import type { MetadataSourceFixture } from './metadata-source-check.js';
import { metadataSourceCheckGroups } from './metadata-source-checks.js';
import { runMetadataSourceCheck } from './run-metadata-source-check.js';

export type { MetadataSourceFixture } from './metadata-source-check.js';

/** How {@link describeMetadataSourceConformance} builds the source under test. */
export interface MetadataSourceConformanceOptions {
  /** Names the describe block. */
  readonly name: string;
  /** Makes a fresh fixture per check. */
  create(): Promise<MetadataSourceFixture>;
}

// Remote sources answer through test servers; a check asks every subject a few times.
const checkTimeoutMs = 60_000;

/**
 * Registers the metadata-source conformance suite with vitest: one `describe` block per topic
 * and one `it` per check, each against a fresh fixture from `create` (closed and destroyed
 * after the check). Checks that need what the fixture does not give (unusable subjects,
 * expected answers, secrets, a `close()`) are reported as skipped with the reason. Call it at
 * the top level of a spec file.
 *
 * @example
 * describeMetadataSourceConformance({
 *   name: 'sidecar',
 *   create: async () => ({ source: createSidecarSource(), found: [...], notFound: [...] }),
 * });
 */
export function describeMetadataSourceConformance(options: MetadataSourceConformanceOptions): void {
  describe(`metadata source conformance: ${options.name}`, () => {
    for (const group of metadataSourceCheckGroups) {
      describe(group.title, () => {
        for (const check of group.checks) {
          it(
            check.title,
            async (testContext) => {
              const result = await runMetadataSourceCheck(check, () => options.create());
              if (result.status === 'skipped') testContext.skip(result.reason);
            },
            checkTimeoutMs,
          );
        }
      });
    }
  });
}
