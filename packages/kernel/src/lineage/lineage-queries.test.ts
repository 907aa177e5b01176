import { describe, expect, it } from 'vitest';
import { rejection } from '../testing/rejection.js';
import type { LineageEdge, LineageGraph, LineageNode } from './lineage-graph.js';
import {
  lineageAncestors,
  lineageAround,
  lineageDescendants,
  lineagePath,
} from './lineage-queries.js';
import { validateLineage } from './validate-lineage.js';

function artifact(id: string, type: string): LineageNode {
  const [name, version] = id.split(':v') as [string, string];
  return { kind: 'artifact', id, name, version: Number(version), type };
}

function run(id: string): LineageNode {
  return {
    kind: 'run',
    id: `run:${id}`,
    run: id,
    pipeline: id.split('/')[0] as string,
    state: 'COMPLETED',
  };
}

const edges = (list: [string, string, LineageEdge['kind']][]): LineageEdge[] =>
  list.map(([from, to, kind]) => ({ from, to, kind }));

/** dataset → sft → rft → ttrl → eval, with the dataset also used by the evaluation run. */
const pipeline: LineageGraph = {
  nodes: [
    artifact('dataset-gsm8k:v1', 'dataset'),
    run('sft/1'),
    artifact('model-sft:v1', 'model'),
    run('rft/1'),
    artifact('model-rft:v1', 'model'),
    run('ttrl/1'),
    artifact('model-ttrl:v1', 'model'),
    run('eval/1'),
    artifact('eval-ttrl-on-gsm8k:v1', 'evaluation'),
    artifact('dataset-other:v1', 'dataset'),
  ],
  edges: edges([
    ['dataset-gsm8k:v1', 'run:sft/1', 'used'],
    ['run:sft/1', 'model-sft:v1', 'produced'],
    ['model-sft:v1', 'run:rft/1', 'used'],
    ['run:rft/1', 'model-rft:v1', 'produced'],
    ['model-rft:v1', 'run:ttrl/1', 'used'],
    ['run:ttrl/1', 'model-ttrl:v1', 'produced'],
    ['model-ttrl:v1', 'run:eval/1', 'used'],
    ['dataset-gsm8k:v1', 'run:eval/1', 'used'],
    ['run:eval/1', 'eval-ttrl-on-gsm8k:v1', 'produced'],
  ]),
  aliases: [{ name: 'model-ttrl', alias: 'best', version: 1 }],
};

describe('lineage queries', () => {
  it('finds every ancestor of the evaluation, nearest first, and only those up to a depth', () => {
    const ancestors = lineageAncestors(pipeline, 'eval-ttrl-on-gsm8k:v1');
    expect(ancestors.map(({ node, distance }) => `${distance} ${node.id}`)).toEqual([
      '1 run:eval/1',
      '2 model-ttrl:v1',
      '2 dataset-gsm8k:v1',
      '3 run:ttrl/1',
      '4 model-rft:v1',
      '5 run:rft/1',
      '6 model-sft:v1',
      '7 run:sft/1',
    ]);
    expect(lineageAncestors(pipeline, 'eval-ttrl-on-gsm8k:v1', { depth: 2 })).toHaveLength(3);
    expect(lineageAncestors(pipeline, 'dataset-gsm8k:v1')).toEqual([]);
  });

  it('finds every descendant of the dataset and the path from it to the evaluation', () => {
    expect(lineageDescendants(pipeline, 'dataset-gsm8k:v1').map(({ node }) => node.id)).toEqual([
      'run:sft/1',
      'run:eval/1',
      'model-sft:v1',
      'eval-ttrl-on-gsm8k:v1',
      'run:rft/1',
      'model-rft:v1',
      'run:ttrl/1',
      'model-ttrl:v1',
    ]);
    expect(lineagePath(pipeline, 'model-sft:v1', 'eval-ttrl-on-gsm8k:v1')).toEqual([
      'model-sft:v1',
      'run:rft/1',
      'model-rft:v1',
      'run:ttrl/1',
      'model-ttrl:v1',
      'run:eval/1',
      'eval-ttrl-on-gsm8k:v1',
    ]);
    // Asked the other way round, the path still runs from ancestor to descendant.
    expect(lineagePath(pipeline, 'eval-ttrl-on-gsm8k:v1', 'dataset-gsm8k:v1')).toEqual([
      'dataset-gsm8k:v1',
      'run:eval/1',
      'eval-ttrl-on-gsm8k:v1',
    ]);
    expect(lineagePath(pipeline, 'dataset-other:v1', 'model-sft:v1')).toBeUndefined();
    expect(lineagePath(pipeline, 'model-sft:v1', 'model-sft:v1')).toEqual(['model-sft:v1']);
  });

  it('cuts the graph around a node: its ancestors and descendants, not its cousins', () => {
    const around = lineageAround(pipeline, 'model-rft:v1', { depth: 2 });
    expect(around.nodes.map((node) => node.id).sort()).toEqual([
      'model-rft:v1',
      'model-sft:v1',
      'model-ttrl:v1',
      'run:rft/1',
      'run:ttrl/1',
    ]);
    expect(around.edges).toHaveLength(4);
    expect(around.aliases).toEqual([{ name: 'model-ttrl', alias: 'best', version: 1 }]);
  });

  it('says which node is unknown and what the graph holds', async () => {
    const error = await rejection(
      Promise.resolve().then(() => lineageAncestors(pipeline, 'model-x:v1')),
    );
    expect(error.code).toBe('NOT_FOUND');
    expect(error.message).toContain('"model-x:v1" is not in the lineage graph');
    expect(error.message).toContain('"dataset-gsm8k:v1"');
    expect(() => lineageDescendants(pipeline, 'model-sft:v1', { depth: 0 })).toThrow('at least 1');
  });

  it('ends walks on a cycle instead of looping', () => {
    const cyclic: LineageGraph = {
      nodes: [artifact('a:v1', 'x'), artifact('b:v1', 'x'), artifact('c:v1', 'x')],
      edges: edges([
        ['a:v1', 'b:v1', 'derived'],
        ['b:v1', 'c:v1', 'derived'],
        ['c:v1', 'a:v1', 'derived'],
      ]),
      aliases: [],
    };
    expect(lineageAncestors(cyclic, 'a:v1').map(({ node }) => node.id)).toEqual(['c:v1', 'b:v1']);
  });
});

describe('validateLineage', () => {
  it('finds nothing wrong in a sound graph', () => {
    expect(validateLineage(pipeline)).toEqual([]);
  });

  it('lists missing parents, cycles and dangling aliases instead of throwing', () => {
    const broken: LineageGraph = {
      nodes: [
        artifact('a:v1', 'x'),
        artifact('b:v1', 'x'),
        artifact('c:v1', 'x'),
        artifact('d:v1', 'x'),
        { ...artifact('gone:v2', 'unknown'), missing: true },
        run('loop/1'),
      ],
      edges: edges([
        ['a:v1', 'b:v1', 'derived'],
        ['b:v1', 'c:v1', 'derived'],
        ['c:v1', 'a:v1', 'derived'],
        ['d:v1', 'd:v1', 'derived'],
        ['gone:v2', 'd:v1', 'derived'],
        ['never-logged:v1', 'run:loop/1', 'used'],
      ]),
      aliases: [
        { name: 'a', alias: 'best', version: 1 },
        { name: 'a', alias: 'latest', version: 4 },
      ],
    };
    const issues = validateLineage(broken);
    expect(issues.map((issue) => issue.kind)).toEqual([
      'missing-node',
      'missing-node',
      'cycle',
      'cycle',
      'dangling-alias',
    ]);
    expect(issues[0]).toMatchObject({ node: 'gone:v2', referencedBy: ['d:v1'] });
    expect(issues[1]).toMatchObject({ node: 'never-logged:v1', referencedBy: ['run:loop/1'] });
    expect(issues[2]).toMatchObject({ nodes: ['a:v1', 'b:v1', 'c:v1', 'a:v1'] });
    expect(issues[2]?.message).toContain('a:v1 → b:v1 → c:v1 → a:v1');
    expect(issues[3]).toMatchObject({ nodes: ['d:v1', 'd:v1'] });
    expect(issues[4]).toMatchObject({ name: 'a', alias: 'latest', version: 4 });
    expect(issues[4]?.message).toContain('"a:latest" points at version 4, which does not exist');
  });

  it('handles a chain of 100,000 nodes without overflowing the stack', () => {
    const length = 100_000;
    const nodes = Array.from({ length }, (_, index) => artifact(`n${index}:v1`, 'x'));
    const chain = edges(
      Array.from(
        { length: length - 1 },
        (_, index) =>
          [`n${index}:v1`, `n${index + 1}:v1`, 'derived'] as [string, string, 'derived'],
      ),
    );
    expect(validateLineage({ nodes, edges: chain, aliases: [] })).toEqual([]);
    const closed = [...chain, { from: `n${length - 1}:v1`, to: 'n0:v1', kind: 'derived' as const }];
    const [cycle] = validateLineage({ nodes, edges: closed, aliases: [] });
    expect(cycle?.kind === 'cycle' ? cycle.nodes.length : 0).toBe(length + 1);
  });
});
