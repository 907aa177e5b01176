import { CairnError } from '../errors/cairn-error.js';
import {
  type LineageEdge,
  type LineageGraph,
  type LineageNode,
  lineagePlaceholder,
} from './lineage-graph.js';

/** Options for {@link lineageAncestors} and {@link lineageDescendants}. */
export interface LineageWalkOptions {
  /**
   * How many edges away to go; default unlimited. Depth 1 gives the direct parents (or
   * children) only.
   */
  readonly depth?: number;
}

/** A node reached by a walk, with how many edges away it is. */
export interface ReachedNode {
  /** The node (a `missing` placeholder when only an edge names it). */
  readonly node: LineageNode;
  /** Edges between it and the start, from 1. */
  readonly distance: number;
}

/** Adjacency of a graph, built once per query. */
interface Adjacency {
  readonly nodes: ReadonlyMap<string, LineageNode>;
  readonly outgoing: ReadonlyMap<string, readonly LineageEdge[]>;
  readonly incoming: ReadonlyMap<string, readonly LineageEdge[]>;
}

function adjacencyOf(graph: LineageGraph): Adjacency {
  const nodes = new Map(graph.nodes.map((node) => [node.id, node]));
  const outgoing = new Map<string, LineageEdge[]>();
  const incoming = new Map<string, LineageEdge[]>();
  for (const edge of graph.edges) {
    const from = outgoing.get(edge.from) ?? [];
    from.push(edge);
    outgoing.set(edge.from, from);
    const to = incoming.get(edge.to) ?? [];
    to.push(edge);
    incoming.set(edge.to, to);
  }
  return { nodes, outgoing, incoming };
}

/** The node an id names, or a missing placeholder when only edges name it. */
function nodeOf(adjacency: Adjacency, id: string): LineageNode {
  return adjacency.nodes.get(id) ?? lineagePlaceholder(id);
}

function requireNode(adjacency: Adjacency, id: string, what: string): void {
  if (adjacency.nodes.has(id) || adjacency.outgoing.has(id) || adjacency.incoming.has(id)) return;
  const known = [...adjacency.nodes.keys()].sort().slice(0, 10);
  throw new CairnError({
    code: 'NOT_FOUND',
    backend: 'lineage',
    message: `${what} "${id}" is not in the lineage graph. Node ids are "<artifact>:v<n>" or "run:<run id>"${known.length > 0 ? `; the graph holds ${known.map((name) => `"${name}"`).join(', ')}${adjacency.nodes.size > known.length ? ', …' : ''}` : '; the graph is empty'}.`,
    details: { id },
  });
}

function validateDepth(depth: number | undefined): number {
  if (depth === undefined) return Number.POSITIVE_INFINITY;
  if (Number.isSafeInteger(depth) && depth >= 1) return depth;
  throw new CairnError({
    code: 'INVALID_OPTIONS',
    backend: 'lineage',
    message: `Lineage depth ${String(depth)} is not valid: give a whole number of edges, at least 1, or leave it out for the whole lineage.`,
  });
}

function walk(
  adjacency: Adjacency,
  start: string,
  direction: 'up' | 'down',
  options: LineageWalkOptions,
): ReachedNode[] {
  requireNode(adjacency, start, direction === 'up' ? 'The node to trace back from' : 'The node');
  const depth = validateDepth(options.depth);
  const seen = new Set([start]);
  const reached: ReachedNode[] = [];
  let frontier = [start];
  // Breadth first, so each node is reported at its shortest distance, and a cycle ends the walk.
  for (let distance = 1; distance <= depth && frontier.length > 0; distance += 1) {
    const next: string[] = [];
    for (const id of frontier) {
      const edges =
        (direction === 'up' ? adjacency.incoming.get(id) : adjacency.outgoing.get(id)) ?? [];
      for (const edge of edges) {
        const other = direction === 'up' ? edge.from : edge.to;
        if (seen.has(other)) continue;
        seen.add(other);
        next.push(other);
        reached.push({ node: nodeOf(adjacency, other), distance });
      }
    }
    frontier = next;
  }
  return reached;
}

/**
 * Everything `id` came from, nearest first: the runs that produced it, what they used, the
 * parents given explicitly, and so on up to `depth` edges.
 *
 * @throws CairnError `NOT_FOUND` when no node or edge names `id`; `INVALID_OPTIONS` for a bad
 *   depth.
 */
export function lineageAncestors(
  graph: LineageGraph,
  id: string,
  options: LineageWalkOptions = {},
): ReachedNode[] {
  return walk(adjacencyOf(graph), id, 'up', options);
}

/**
 * Everything made from `id`, nearest first: runs that used it, what they produced, artifacts
 * that name it as a parent, and so on up to `depth` edges.
 *
 * @throws CairnError `NOT_FOUND` when no node or edge names `id`; `INVALID_OPTIONS` for a bad
 *   depth.
 */
export function lineageDescendants(
  graph: LineageGraph,
  id: string,
  options: LineageWalkOptions = {},
): ReachedNode[] {
  return walk(adjacencyOf(graph), id, 'down', options);
}

/**
 * The shortest chain of edges by which data flowed from `from` to `to` (from an ancestor to a
 * descendant), as node ids from `from` to `to`; when `to` is the ancestor, the chain from `to`
 * to `from`. Undefined when neither descends from the other.
 *
 * @throws CairnError `NOT_FOUND` when no node or edge names either id.
 */
export function lineagePath(
  graph: LineageGraph,
  from: string,
  to: string,
): readonly string[] | undefined {
  const adjacency = adjacencyOf(graph);
  requireNode(adjacency, from, 'The start node');
  requireNode(adjacency, to, 'The end node');
  return shortestPath(adjacency, from, to) ?? shortestPath(adjacency, to, from);
}

function shortestPath(adjacency: Adjacency, from: string, to: string): string[] | undefined {
  if (from === to) return [from];
  const previous = new Map<string, string>([[from, from]]);
  let frontier = [from];
  while (frontier.length > 0) {
    const next: string[] = [];
    for (const id of frontier) {
      for (const edge of adjacency.outgoing.get(id) ?? []) {
        if (previous.has(edge.to)) continue;
        previous.set(edge.to, id);
        if (edge.to === to) {
          const path = [to];
          for (let at = id; at !== from; at = previous.get(at) as string) path.push(at);
          path.push(from);
          return path.reverse();
        }
        next.push(edge.to);
      }
    }
    frontier = next;
  }
  return undefined;
}

/**
 * The part of `graph` within reach of `id`: the node, its ancestors and descendants (up to
 * `depth` each way), the edges among them and the aliases of those artifact versions. What the
 * monitor draws around a selected artifact and what `cairn lineage <artifact>` exports.
 */
export function lineageAround(
  graph: LineageGraph,
  id: string,
  options: LineageWalkOptions = {},
): LineageGraph {
  const adjacency = adjacencyOf(graph);
  const ids = new Set([
    id,
    ...walk(adjacency, id, 'up', options).map(({ node }) => node.id),
    ...walk(adjacency, id, 'down', options).map(({ node }) => node.id),
  ]);
  const nodes = [...ids].map((nodeId) => nodeOf(adjacency, nodeId));
  const edges = graph.edges.filter((edge) => ids.has(edge.from) && ids.has(edge.to));
  const aliases = graph.aliases.filter((alias) => ids.has(`${alias.name}:v${alias.version}`));
  return { nodes, edges, aliases };
}
