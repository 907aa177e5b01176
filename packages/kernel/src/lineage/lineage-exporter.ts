import type { LineageGraph } from './lineage-graph.js';

/** Options every lineage exporter understands. */
export interface LineageExportOptions {
  /** A title for the drawing or document (e.g. the artifact it was drawn for). */
  readonly title?: string;
  /**
   * Node ids to emphasise, e.g. the artifact the graph was drawn around. Exporters that cannot
   * emphasise ignore it.
   */
  readonly highlight?: readonly string[];
}

/**
 * Turns a lineage graph into text: Graphviz DOT, a Mermaid flowchart, OpenLineage events, a
 * terminal tree. Pure and synchronous: the same graph and options give the same text, byte for
 * byte, so output can be diffed and committed.
 *
 * Every exporter must accept any graph {@link validateLineage} can describe (cycles, missing
 * nodes, edges to nodes that are not in `nodes`, any characters in names and metadata) without
 * throwing, and must escape whatever it copies from the graph so the output stays valid in its
 * format. `@cairn/testkit`'s `describeLineageExporterConformance` checks this.
 */
export interface LineageExporter {
  /** The exporter's short name, e.g. `dot`; also its config `use:` name. */
  readonly name: string;
  /** Media type of the output, e.g. `text/vnd.graphviz`. */
  readonly mediaType: string;
  /** File extension for the output, with its dot, e.g. `.dot`. */
  readonly fileExtension: string;
  /**
   * The graph as text in this exporter's format.
   * @throws only for programming errors (a graph that is not a graph); never for its content.
   */
  export(graph: LineageGraph, options?: LineageExportOptions): string;
}
