import type { LineageExporter, LineageGraph } from '@cairn/kernel';
import type { LineageExporterFixture } from '../lineage-exporters/lineage-exporter-fixture.js';

// A small, correct exporter for the suite's own tests: one JSON line per node id, sorted, then
// one per edge. Broken variants are made from it, one defect each.

function compare(left: string, right: string): number {
  return left < right ? -1 : left > right ? 1 : 0;
}

/** The well-behaved exporter. */
export function listExporter(): LineageExporter {
  return {
    name: 'list',
    mediaType: 'application/x-ndjson',
    fileExtension: '.jsonl',
    export(graph: LineageGraph): string {
      const ids = new Set(graph.nodes.map((node) => node.id));
      for (const edge of graph.edges) ids.add(edge.from).add(edge.to);
      const edges = graph.edges
        .map((edge) => JSON.stringify([edge.from, edge.to, edge.kind]))
        .sort(compare);
      return [...[...ids].sort(compare).map((id) => JSON.stringify(id)), ...[...new Set(edges)]]
        .map((line) => `${line}\n`)
        .join('');
    },
  };
}

/** The node ids an output of this shape holds, read back with `JSON.parse`. */
export function listLabels(output: string): string[] {
  return output
    .split('\n')
    .slice(0, -1)
    .map((line) => JSON.parse(line) as unknown)
    .filter((value): value is string => typeof value === 'string');
}

/** The fixture of an exporter of this shape: nodes found by their JSON id, lines parsed as JSON. */
export function listFixture(exporter: LineageExporter = listExporter()): LineageExporterFixture {
  return {
    exporter,
    shows: (output, node) => output.includes(`${JSON.stringify(node.id)}\n`),
    labels: listLabels,
    validate: (output) => {
      for (const line of output.split('\n').slice(0, -1)) JSON.parse(line);
    },
  };
}
