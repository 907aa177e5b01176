import type { LineageExporter, LineageNode } from '@cairn/kernel';

/** What the lineage-exporter conformance suite runs against: an exporter and ways to read it. */
export interface LineageExporterFixture {
  /** The exporter under test. */
  readonly exporter: LineageExporter;
  /**
   * Whether `output` shows `node` (its name, id or title as the format writes it). Without it,
   * the checks that every node survives into the output are skipped.
   */
  shows?(output: string, node: LineageNode): boolean;
  /**
   * Reads `output` back the way the format's own tools would (its parser, its renderer) and
   * returns the text each node is shown with, escapes and entity codes decoded, lines joined
   * by line breaks. With it, every artifact version's id (`name:v3`) and every run's id
   * (`pipeline/<time id>`) must be found in one of these texts (runs of white space and control
   * characters count as one space), so a name the exporter escaped wrongly fails even when
   * `shows`, which searches the raw text, would find it. Not used on the large graph, where it
   * would time the parser rather than the exporter.
   */
  labels?(output: string): readonly string[] | Promise<readonly string[]>;
  /**
   * Checks that `output` is valid in the exporter's format (parse it, render it…) and throws
   * saying why when it is not. Without it, only the absence of exceptions is checked.
   */
  validate?(output: string): void | Promise<void>;
}

/** One lineage-exporter check: throws an assertion naming what the exporter did wrong. */
export interface LineageExporterCheck {
  /** What the check proves, phrased as the test title. */
  readonly title: string;
  /** Why the check does not apply to this fixture, or undefined when it does. */
  skipReason?(fixture: LineageExporterFixture): string | undefined;
  /** Runs the check; resolves when the exporter conforms. */
  run(fixture: LineageExporterFixture): Promise<void>;
}
