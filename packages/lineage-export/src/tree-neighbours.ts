import { compareText, type GraphView } from './graph-view.js';

/** How the tree shows runs: as levels of their own, or beside the versions they produced. */
export type TreeRuns = 'nodes' | 'inline';

/** What the tree walks: each node's parents and children, sorted, built once. */
export interface TreeNeighbours {
  readonly up: ReadonlyMap<string, readonly string[]>;
  readonly down: ReadonlyMap<string, readonly string[]>;
  /** With runs inline: the runs that produced each artifact version, shown beside it. */
  readonly producers: ReadonlyMap<string, readonly string[]>;
}

class ListMap {
  readonly map = new Map<string, string[]>();

  add(key: string, value: string): void {
    const list = this.map.get(key);
    if (list === undefined) this.map.set(key, [value]);
    else list.push(value);
  }

  get(key: string): readonly string[] {
    return this.map.get(key) ?? [];
  }

  /** Each list sorted and without repeats (two edge kinds may join the same pair). */
  sorted(): Map<string, string[]> {
    for (const [key, list] of this.map) this.map.set(key, [...new Set(list)].sort(compareText));
    return this.map;
  }
}

/**
 * The parents and children the tree walks. With runs as nodes, they are the edges as they are.
 * With runs inline, an artifact version's parents are what the runs that produced it used, plus
 * its explicit parents; its children are what the runs that used it produced (or the run itself
 * when it produced nothing, so it is still shown), plus versions derived from it. A run, when the
 * tree starts at one, has its inputs as parents and its outputs as children.
 */
export function treeNeighbours(view: GraphView, runs: TreeRuns): TreeNeighbours {
  const up = new ListMap();
  const down = new ListMap();
  for (const edge of view.edges) {
    up.add(edge.to, edge.from);
    down.add(edge.from, edge.to);
  }
  if (runs === 'nodes') return { up: up.sorted(), down: down.sorted(), producers: new Map() };

  const isRun = (id: string) => view.byId.get(id)?.kind === 'run';
  const inlineUp = new ListMap();
  const inlineDown = new ListMap();
  const producers = new ListMap();
  for (const node of view.nodes) {
    if (node.kind === 'run') {
      for (const input of up.get(node.id)) inlineUp.add(node.id, input);
      for (const output of down.get(node.id)) inlineDown.add(node.id, output);
      continue;
    }
    for (const parent of up.get(node.id)) {
      if (!isRun(parent)) inlineUp.add(node.id, parent);
      else {
        producers.add(node.id, parent);
        for (const input of up.get(parent)) inlineUp.add(node.id, input);
      }
    }
    for (const child of down.get(node.id)) {
      if (!isRun(child)) inlineDown.add(node.id, child);
      else if (down.get(child).length === 0) inlineDown.add(node.id, child);
      else for (const output of down.get(child)) inlineDown.add(node.id, output);
    }
  }
  return { up: inlineUp.sorted(), down: inlineDown.sorted(), producers: producers.sorted() };
}
