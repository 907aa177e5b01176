import {
  artifactTypes,
  type LineageEdge,
  type LineageGraph,
  type LineageNode,
  lineagePlaceholder,
} from '@cairn/kernel';

// What every exporter needs from a graph: the same nodes and edges in the same order whatever
// order the graph lists them in (so output is byte-for-byte stable), nodes for edge ends that
// the graph does not describe, and the words a node is shown with.

/** Code-unit order: the same in every locale and runtime. */
export function compareText(left: string, right: string): number {
  return left < right ? -1 : left > right ? 1 : 0;
}

/** A graph's nodes and edges in a stable order, every edge end a node. */
export interface GraphView {
  /** Nodes sorted by id, one per id (the first described wins), placeholders included. */
  readonly nodes: readonly LineageNode[];
  /** Edges sorted by from, to and kind, each once. */
  readonly edges: readonly LineageEdge[];
  /** Nodes by id. */
  readonly byId: ReadonlyMap<string, LineageNode>;
}

/** The stable view of a graph (see {@link GraphView}). */
export function viewOf(graph: LineageGraph): GraphView {
  const byId = new Map<string, LineageNode>();
  for (const node of graph.nodes) if (!byId.has(node.id)) byId.set(node.id, node);
  const edges = new Map<string, LineageEdge>();
  for (const edge of graph.edges) {
    edges.set(`${edge.from}\u0000${edge.to}\u0000${edge.kind}`, edge);
    for (const id of [edge.from, edge.to]) if (!byId.has(id)) byId.set(id, lineagePlaceholder(id));
  }
  const nodes = [...byId.values()].sort((left, right) => compareText(left.id, right.id));
  const sortedEdges = [...edges.entries()]
    .sort(([left], [right]) => compareText(left, right))
    .map(([, edge]) => edge);
  return { nodes, edges: sortedEdges, byId };
}

/** The artifact types that get a style of their own; others are drawn as `other`. */
export const styledTypes = artifactTypes;

/** What a node is drawn as: a run, a styled artifact type, another type, or missing. */
export type NodeStyle = 'run' | (typeof styledTypes)[number] | 'other' | 'missing';

/** The style of a node. */
export function styleOf(node: LineageNode): NodeStyle {
  if (node.missing === true) return 'missing';
  if (node.kind === 'run') return 'run';
  return (styledTypes as readonly string[]).includes(node.type)
    ? (node.type as NodeStyle)
    : 'other';
}

/** The first line a node is shown with: `name:v3`, or `run pipeline/time id`. */
export function titleOf(node: LineageNode): string {
  return node.kind === 'run' ? `run ${node.run}` : node.id;
}

/** The second line: the type and aliases, or the run's state; `missing` for placeholders. */
export function detailOf(node: LineageNode): string {
  if (node.missing === true) return 'missing';
  if (node.kind === 'run') return node.state === undefined ? 'run' : node.state.toLowerCase();
  const aliases = node.aliases?.length
    ? ` [${[...node.aliases].sort(compareText).join(', ')}]`
    : '';
  return `${node.type}${aliases}`;
}

// biome-ignore lint/suspicious/noControlCharactersInRegex: finding control characters is the point.
const controlCharacters = /[\u0000-\u001f\u007f]/g;

/**
 * `text` with every control character (tab, line breaks, NUL, escape, …) replaced: no exporter
 * lets one through, since each format either breaks on them or shows them as garbage.
 */
export function replaceControlCharacters(text: string, replacement: string): string {
  return text.replace(controlCharacters, replacement);
}
