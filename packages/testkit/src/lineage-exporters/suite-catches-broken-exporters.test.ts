import type { LineageExporter, LineageGraph } from '@cairn/kernel';
import { describe, expect, it } from 'vitest';
import { listExporter, listFixture, listLabels } from '../testing/list-lineage-exporter.js';
import { lineageExporterChecks } from './lineage-exporter-checks.js';
import type { LineageExporterCheck } from './lineage-exporter-fixture.js';

// Each case breaks the well-behaved list exporter in one way a real exporter could be broken,
// and proves the check meant to catch it fails with a message naming the defect, while the same
// check passes on the healthy exporter. A suite that cannot fail proves nothing.

function check(title: string): LineageExporterCheck {
  const found = lineageExporterChecks.find((candidate) => candidate.title.startsWith(title));
  if (found === undefined) throw new Error(`no check titled "${title}"`);
  return found;
}

function changed(
  change: (graph: LineageGraph, healthy: string) => string,
  extra: Partial<LineageExporter> = {},
): LineageExporter {
  const healthy = listExporter();
  return { ...healthy, ...extra, export: (graph) => change(graph, healthy.export(graph)) };
}

const breakages: {
  readonly defect: string;
  readonly check: string;
  readonly exporter: LineageExporter;
  readonly failure: RegExp;
}[] = [
  {
    defect: 'a media type that is not one',
    check: 'names itself',
    exporter: { ...listExporter(), mediaType: 'json' },
    failure: /mediaType/,
  },
  {
    defect: 'a file extension without its dot',
    check: 'names itself',
    exporter: { ...listExporter(), fileExtension: 'jsonl' },
    failure: /fileExtension/,
  },
  {
    defect: 'a time stamp in the output',
    check: 'writes the same bytes',
    exporter: changed(
      (_graph, text) => `${text}${JSON.stringify(process.hrtime.bigint().toString())}\n`,
    ),
    failure: /a second export/,
  },
  {
    defect: 'output in the order the graph lists nodes',
    check: 'writes the same bytes',
    exporter: changed((graph) =>
      graph.nodes.map((node) => `${JSON.stringify(node.id)}\n`).join(''),
    ),
    failure: /the graph in another order/,
  },
  {
    defect: 'sorting the caller’s arrays in place',
    check: 'never changes the graph',
    exporter: changed((graph, text) => {
      (graph.nodes as unknown[]).sort();
      return text;
    }),
    failure: /threw on a frozen graph/,
  },
  {
    defect: 'dropping runs',
    check: 'writes valid output for a sound graph',
    exporter: changed((_graph, text) =>
      text
        .split('\n')
        .filter((line) => !line.includes('run:'))
        .join('\n'),
    ),
    failure: /nodes of a sound graph missing from the "list" output \(shows\(\)\)/,
  },
  {
    defect: 'throwing on an empty graph',
    check: 'accepts an empty graph',
    exporter: changed((graph, text) => {
      if (graph.nodes.length === 0) throw new Error('nothing to draw');
      return text;
    }),
    failure: /threw on an empty graph: nothing to draw/,
  },
  {
    defect: 'names copied without escaping',
    check: 'escapes hostile names',
    exporter: changed((graph) => graph.nodes.map((node) => `"${node.id}"\n`).join('')),
    failure: /output for hostile names is not valid/,
  },
  {
    defect: 'following edges until the stack runs out',
    check: 'ends on a cycle',
    exporter: changed((graph, text) => {
      const follow = (id: string): number =>
        1 +
        graph.edges
          .filter((edge) => edge.from === id)
          .reduce((total, edge) => total + follow(edge.to), 0);
      for (const node of graph.nodes) follow(node.id);
      return text;
    }),
    failure: /threw on a cycle: Maximum call stack size exceeded/,
  },
  {
    defect: 'looking up edge ends among the described nodes only',
    check: 'draws edges to nodes the graph does not describe',
    exporter: changed((graph, text) => {
      const known = new Map(graph.nodes.map((node) => [node.id, node]));
      for (const edge of graph.edges)
        if (!known.get(edge.from)) throw new TypeError(`no node ${edge.from}`);
      return text;
    }),
    failure: /threw on a graph with gaps: no node/,
  },
  {
    defect: 'giving up on large graphs',
    check: 'exports a chain',
    exporter: changed((graph, text) => (graph.nodes.length > 1000 ? '' : text)),
    failure: /output of a large graph/,
  },
];

describe('the lineage-exporter suite catches broken exporters', () => {
  for (const breakage of breakages) {
    it(`fails "${breakage.check}…" on ${breakage.defect}`, async () => {
      const subject = check(breakage.check);
      await expect(subject.run(listFixture())).resolves.toBeUndefined();
      await expect(subject.run(listFixture(breakage.exporter))).rejects.toThrow(breakage.failure);
    });
  }

  it('fails "shows every hostile name…" when a name does not survive being read back by labels()', async () => {
    const subject = check('shows every hostile name');
    await expect(subject.run({ exporter: listExporter(), labels: listLabels })).resolves.toBe(
      undefined,
    );
    // HTML escaping inside JSON: the raw text still holds each name's letters, but JSON.parse
    // gives back `&lt;b&gt;`, so only the round trip shows the name was lost.
    const htmlInJson = changed((_graph, text) => text.replace(/</g, '&lt;').replace(/>/g, '&gt;'));
    await expect(subject.run({ exporter: htmlInJson, labels: listLabels })).rejects.toThrow(
      /hostile names missing from the "list" output read back by labels\(\): .*"<b>bold<\/b>:v10"/,
    );
    const unreadable = changed((_graph, text) => `${text}not json\n`);
    await expect(subject.run({ exporter: unreadable, labels: listLabels })).rejects.toThrow(
      /could not be read back by labels\(\)/,
    );
  });

  it('passes every check on the healthy exporter, and skips the shows() checks without the hook', async () => {
    for (const subject of lineageExporterChecks) {
      await expect(subject.run(listFixture()), subject.title).resolves.toBeUndefined();
    }
    const withoutShows = { exporter: listExporter() };
    expect(check('shows every hostile name').skipReason?.(withoutShows)).toContain(
      'neither a shows() nor a labels() hook',
    );
  });
});
