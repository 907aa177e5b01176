import type { LineageEdge, LineageGraph, LineageNode } from '@cairn/kernel';

// Graphs the lineage-exporter suite feeds every exporter. Every artifact is linked to a run with
// a start time, so formats that only describe runs (OpenLineage) still show every node.

const edge = (from: string, to: string, kind: LineageEdge['kind']): LineageEdge => ({
  from,
  to,
  kind,
});

function run(
  pipeline: string,
  index: number,
  state: 'COMPLETED' | 'FAILED' | 'RUNNING' | 'INTERRUPTED',
): LineageNode {
  const run = `${pipeline}/20250810T${String(10 + (index % 10)).padStart(2, '0')}0000.000Z-${String(index).padStart(6, '0')}`;
  const startedAt = new Date(Date.parse('2025-08-10T10:00:00Z') + index * 60_000).toISOString();
  return {
    kind: 'run',
    id: `run:${run}`,
    run,
    pipeline,
    state,
    startedAt,
    ...(state === 'RUNNING'
      ? {}
      : { finishedAt: new Date(Date.parse(startedAt) + 30_000).toISOString() }),
    ...(state === 'FAILED' ? { reason: 'it broke' } : {}),
  };
}

function artifact(
  name: string,
  version: number,
  type: string,
  extra: Partial<LineageNode> = {},
): LineageNode {
  return {
    kind: 'artifact',
    id: `${name}:v${version}`,
    name,
    version,
    type,
    createdAt: '2025-08-10T09:00:00.000Z',
    digest: `sha256:${'0'.repeat(64)}`,
    ...extra,
  } as LineageNode;
}

/** dataset → train run → model → eval run (failed) → evaluation. */
export function soundGraph(): LineageGraph {
  const train = run('train', 1, 'COMPLETED');
  const evaluate = run('eval', 2, 'FAILED');
  return {
    nodes: [
      artifact('dataset-a', 1, 'dataset', { aliases: ['latest'] }),
      train,
      artifact('model-a', 1, 'model', { aliases: ['best', 'latest'] }),
      evaluate,
      artifact('eval-a-on-a', 1, 'evaluation'),
    ],
    edges: [
      edge('dataset-a:v1', train.id, 'used'),
      edge(train.id, 'model-a:v1', 'produced'),
      edge('model-a:v1', evaluate.id, 'used'),
      edge('dataset-a:v1', evaluate.id, 'used'),
      edge(evaluate.id, 'eval-a-on-a:v1', 'produced'),
    ],
    aliases: [
      { name: 'dataset-a', alias: 'latest', version: 1 },
      { name: 'model-a', alias: 'best', version: 1 },
      { name: 'model-a', alias: 'latest', version: 1 },
    ],
  };
}

/** Names that break careless escaping in one format or another. */
export const hostileNames = [
  'quote"d',
  "apostrophe's",
  'back\\slash',
  'new\nline',
  'carriage\r\nreturn',
  'tab\there',
  'ünïcödé-名前-🙂',
  'arrow-->x',
  'brackets]]{}[[',
  '<b>bold</b>',
  '%%comment',
  'semi;colon',
  'hash#35;',
  'amp&amp;',
  'pipe|bar',
  'end',
  'graph',
  'subgraph',
  '\u0007bell',
];

/** One artifact and one run per hostile name, the artifact used by the run. */
export function hostileGraph(): LineageGraph {
  const nodes: LineageNode[] = [];
  const edges: LineageEdge[] = [];
  for (const [index, name] of hostileNames.entries()) {
    const source = artifact(name, index + 1, name);
    const consumer = run(name, index, 'RUNNING');
    nodes.push(source, consumer);
    edges.push(edge(source.id, consumer.id, 'used'));
  }
  return { nodes, edges, aliases: [{ name: 'quote"d', alias: 'b"est', version: 1 }] };
}

/** Three artifacts in a circle, each also used by a run. */
export function cyclicGraph(): LineageGraph {
  const names = ['a', 'b', 'c'];
  const nodes: LineageNode[] = [];
  const edges: LineageEdge[] = [];
  for (const [index, name] of names.entries()) {
    const consumer = run(`use-${name}`, index, 'COMPLETED');
    nodes.push(artifact(`model-${name}`, 1, 'model'), consumer);
    edges.push(edge(`model-${name}:v1`, `model-${names[(index + 1) % 3]}:v1`, 'derived'));
    edges.push(edge(`model-${name}:v1`, consumer.id, 'used'));
  }
  edges.push(edge('model-a:v1', 'model-a:v1', 'derived'));
  return { nodes, edges, aliases: [] };
}

/**
 * A graph whose edges name nodes it does not describe (a deleted parent, a run never recorded)
 * and which lists a `missing` placeholder and a dangling alias.
 */
export function gappyGraph(): LineageGraph {
  const consumer = run('train', 3, 'INTERRUPTED');
  return {
    nodes: [
      artifact('model-b', 2, 'model'),
      consumer,
      {
        kind: 'artifact',
        id: 'dataset-gone:v4',
        name: 'dataset-gone',
        version: 4,
        type: 'unknown',
        missing: true,
      },
    ],
    edges: [
      edge('dataset-gone:v4', consumer.id, 'used'),
      edge('dataset-never:v1', consumer.id, 'used'),
      edge(consumer.id, 'model-b:v2', 'produced'),
      edge('run:ghost/20250810T100000.000Z-zzzzzz', 'model-b:v2', 'produced'),
    ],
    aliases: [{ name: 'model-b', alias: 'latest', version: 9 }],
  };
}

/** `size` runs in a chain, each using the previous run's model and producing the next. */
export function largeGraph(size: number): LineageGraph {
  const nodes: LineageNode[] = [];
  const edges: LineageEdge[] = [];
  for (let index = 0; index < size; index += 1) {
    const step = run('step', index, 'COMPLETED');
    nodes.push(artifact('model-chain', index + 1, 'model'), step);
    edges.push(edge(`model-chain:v${index + 1}`, step.id, 'used'));
    edges.push(edge(step.id, `model-chain:v${index + 2}`, 'produced'));
  }
  nodes.push(artifact('model-chain', size + 1, 'model'));
  return { nodes, edges, aliases: [] };
}

/** The same graph with nodes, edges and aliases in another order. */
export function shuffled(graph: LineageGraph): LineageGraph {
  const rotate = <Item>(items: readonly Item[]) => [
    ...items.slice(Math.ceil(items.length / 2)).reverse(),
    ...items.slice(0, Math.ceil(items.length / 2)),
  ];
  return { nodes: rotate(graph.nodes), edges: rotate(graph.edges), aliases: rotate(graph.aliases) };
}
