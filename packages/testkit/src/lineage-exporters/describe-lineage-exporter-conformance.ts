import { describe, it } from 'vitest';
import { lineageExporterChecks } from './lineage-exporter-checks.js';
import type { LineageExporterFixture } from './lineage-exporter-fixture.js';

export type { LineageExporterFixture } from './lineage-exporter-fixture.js';

/** How {@link describeLineageExporterConformance} builds the exporter under test. */
export interface LineageExporterConformanceOptions {
  /** Names the describe block. */
  readonly name: string;
  /** Makes the fixture: the exporter, and optionally `shows` and `validate` hooks. */
  create(): LineageExporterFixture | Promise<LineageExporterFixture>;
}

// Validation may start a renderer or a parser for each output.
const checkTimeoutMs = 60_000;

/**
 * Registers the lineage-exporter conformance suite with vitest: one `it` per check of the
 * `LineageExporter` contract (stable bytes in any input order, input left untouched, empty
 * graphs, hostile names, cycles, edges to undescribed nodes, a large graph), each against a
 * fresh fixture. With `validate`, every output is checked in its format; with `shows`, every
 * node must appear. Checks that need a hook the fixture lacks are skipped with the reason.
 *
 * @example
 * describeLineageExporterConformance({
 *   name: 'dot',
 *   create: () => ({
 *     exporter: createDotExporter(),
 *     shows: (output, node) => output.includes(`tooltip=${dotString(node.id)}`),
 *   }),
 * });
 */
export function describeLineageExporterConformance(
  options: LineageExporterConformanceOptions,
): void {
  describe(`lineage exporter conformance: ${options.name}`, () => {
    for (const check of lineageExporterChecks) {
      it(
        check.title,
        async (testContext) => {
          const fixture = await options.create();
          const reason = check.skipReason?.(fixture);
          if (reason !== undefined) {
            testContext.skip(reason);
            return;
          }
          await check.run(fixture);
        },
        checkTimeoutMs,
      );
    }
  });
}
