import type { LineageGraph } from './lineage-graph.js';

/** Something wrong with a lineage graph. */
export type LineageIssue =
  | {
      /** An edge names a node whose record does not exist. */
      readonly kind: 'missing-node';
      /** The node id nothing describes. */
      readonly node: string;
      /** The nodes whose edges name it (its children for a missing parent). */
      readonly referencedBy: readonly string[];
      /** What is wrong and what to do, in a sentence. */
      readonly message: string;
    }
  | {
      /** Data flows in a circle: a node is its own ancestor. */
      readonly kind: 'cycle';
      /** The node ids around the cycle, first repeated at the end. */
      readonly nodes: readonly string[];
      /** What is wrong and what to do, in a sentence. */
      readonly message: string;
    }
  | {
      /** An alias points at a version that does not exist. */
      readonly kind: 'dangling-alias';
      /** The artifact name. */
      readonly name: string;
      /** The alias. */
      readonly alias: string;
      /** The version it points at. */
      readonly version: number;
      /** What is wrong and what to do, in a sentence. */
      readonly message: string;
    };

/**
 * Checks a lineage graph and lists what is wrong instead of throwing: nodes that edges name but
 * whose records are missing (a deleted parent, a crashed writer), cycles, and aliases pointing
 * at versions that do not exist. An empty list means the graph is sound. Issues come in a
 * stable order: missing nodes, then cycles, then dangling aliases.
 */
export function validateLineage(graph: LineageGraph): LineageIssue[] {
  const issues: LineageIssue[] = [];
  const present = new Set(
    graph.nodes.filter((node) => node.missing !== true).map((node) => node.id),
  );
  const referencedBy = new Map<string, Set<string>>();
  const note = (missing: string, by: string) => {
    if (present.has(missing)) return;
    const set = referencedBy.get(missing) ?? new Set<string>();
    set.add(by);
    referencedBy.set(missing, set);
  };
  for (const edge of graph.edges) {
    note(edge.from, edge.to);
    note(edge.to, edge.from);
  }
  for (const node of graph.nodes)
    if (node.missing === true && !referencedBy.has(node.id)) {
      referencedBy.set(node.id, new Set());
    }
  for (const [node, by] of [...referencedBy].sort(([left], [right]) => compare(left, right))) {
    const names = [...by].sort(compare);
    issues.push({
      kind: 'missing-node',
      node,
      referencedBy: names,
      message: `"${node}" is named by ${names.length > 0 ? names.map((name) => `"${name}"`).join(', ') : 'the graph'} but its record does not exist: it was deleted, or its writer stopped before storing it. Restore it from a backup, or accept that this part of the lineage is lost.`,
    });
  }
  for (const cycle of findCycles(graph)) {
    issues.push({
      kind: 'cycle',
      nodes: cycle,
      message: `Lineage runs in a circle: ${cycle.join(' → ')}. An artifact cannot be its own ancestor; one of these edges was recorded by mistake (a parent given that was logged later).`,
    });
  }
  const versions = new Set(
    graph.nodes
      .filter((node) => node.kind === 'artifact' && node.missing !== true)
      .map((node) => node.id),
  );
  for (const alias of [...graph.aliases].sort((left, right) =>
    compare(`${left.name}\u0000${left.alias}`, `${right.name}\u0000${right.alias}`),
  )) {
    if (versions.has(`${alias.name}:v${alias.version}`)) continue;
    issues.push({
      kind: 'dangling-alias',
      name: alias.name,
      alias: alias.alias,
      version: alias.version,
      message: `The alias "${alias.name}:${alias.alias}" points at version ${alias.version}, which does not exist. Move the alias to a version that exists.`,
    });
  }
  return issues;
}

function compare(left: string, right: string): number {
  return left < right ? -1 : left > right ? 1 : 0;
}

/**
 * One cycle per strongly connected part of the graph that has one (Tarjan's algorithm,
 * iterative so a long chain does not overflow the stack), each as node ids from its smallest
 * id around and back to it.
 */
function findCycles(graph: LineageGraph): string[][] {
  const outgoing = new Map<string, string[]>();
  const ids = new Set<string>();
  for (const edge of graph.edges) {
    ids.add(edge.from);
    ids.add(edge.to);
    const list = outgoing.get(edge.from) ?? [];
    list.push(edge.to);
    outgoing.set(edge.from, list);
  }
  for (const list of outgoing.values()) list.sort(compare);
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const onStack = new Set<string>();
  const stack: string[] = [];
  const components: string[][] = [];
  let counter = 0;
  for (const root of [...ids].sort(compare)) {
    if (index.has(root)) continue;
    const work: { id: string; next: number }[] = [{ id: root, next: 0 }];
    index.set(root, counter);
    low.set(root, counter);
    counter += 1;
    stack.push(root);
    onStack.add(root);
    while (work.length > 0) {
      const frame = work[work.length - 1] as { id: string; next: number };
      const children = outgoing.get(frame.id) ?? [];
      if (frame.next < children.length) {
        const child = children[frame.next] as string;
        frame.next += 1;
        if (!index.has(child)) {
          index.set(child, counter);
          low.set(child, counter);
          counter += 1;
          stack.push(child);
          onStack.add(child);
          work.push({ id: child, next: 0 });
        } else if (onStack.has(child)) {
          low.set(frame.id, Math.min(low.get(frame.id) as number, index.get(child) as number));
        }
        continue;
      }
      work.pop();
      const parent = work[work.length - 1];
      if (parent !== undefined) {
        low.set(parent.id, Math.min(low.get(parent.id) as number, low.get(frame.id) as number));
      }
      if (low.get(frame.id) !== index.get(frame.id)) continue;
      const component: string[] = [];
      let member: string | undefined;
      do {
        member = stack.pop() as string;
        onStack.delete(member);
        component.push(member);
      } while (member !== frame.id);
      const selfLoop = (outgoing.get(frame.id) ?? []).includes(frame.id);
      if (component.length > 1 || selfLoop) components.push(component);
    }
  }
  return components
    .map((component) => cycleThrough(new Set(component), outgoing))
    .sort((left, right) => compare(left[0] as string, right[0] as string));
}

/** A cycle inside a strongly connected set: from its smallest id, shortest way back to it. */
function cycleThrough(members: Set<string>, outgoing: Map<string, string[]>): string[] {
  const start = [...members].sort(compare)[0] as string;
  const previous = new Map<string, string>();
  let frontier = [start];
  while (frontier.length > 0) {
    const next: string[] = [];
    for (const id of frontier) {
      for (const child of outgoing.get(id) ?? []) {
        if (!members.has(child)) continue;
        if (child === start) {
          const path = [start];
          for (let at = id; at !== start; at = previous.get(at) as string) path.push(at);
          path.push(start);
          return [start, ...path.slice(1, -1).reverse(), start];
        }
        if (previous.has(child)) continue;
        previous.set(child, id);
        next.push(child);
      }
    }
    frontier = next;
  }
  return [start, start];
}
