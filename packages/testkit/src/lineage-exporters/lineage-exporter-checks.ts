import type { LineageGraph, LineageNode } from '@cairn/kernel';
import { expect } from 'vitest';
import { deepFreeze } from '../metadata-sources/frozen-subject.js';
import type { LineageExporterCheck, LineageExporterFixture } from './lineage-exporter-fixture.js';
import {
  cyclicGraph,
  gappyGraph,
  hostileGraph,
  largeGraph,
  shuffled,
  soundGraph,
} from './lineage-graph-fixtures.js';

/** Nodes of the large-graph check: big enough that quadratic work shows, small enough for CI. */
export const largeGraphRuns = 2500;

const noShows = (fixture: LineageExporterFixture) =>
  fixture.shows === undefined && fixture.labels === undefined
    ? 'the fixture gives neither a shows() nor a labels() hook to find nodes in the output'
    : undefined;

/** Exports, failing with the exporter's name and the graph's when it throws. */
function exportOf(
  fixture: LineageExporterFixture,
  graph: LineageGraph,
  what: string,
  options?: Parameters<LineageExporterFixture['exporter']['export']>[1],
): string {
  let output: unknown;
  try {
    output = fixture.exporter.export(graph, options);
  } catch (error) {
    throw new Error(
      `The "${fixture.exporter.name}" exporter threw on ${what}: ${error instanceof Error ? error.message : String(error)}. An exporter must accept any graph without throwing.`,
      { cause: error },
    );
  }
  expect(typeof output, `the "${fixture.exporter.name}" exporter's output for ${what}`).toBe(
    'string',
  );
  return output as string;
}

async function validated(
  fixture: LineageExporterFixture,
  output: string,
  what: string,
): Promise<void> {
  if (fixture.validate === undefined) return;
  try {
    await fixture.validate(output);
  } catch (error) {
    throw new Error(
      `The "${fixture.exporter.name}" exporter's output for ${what} is not valid: ${error instanceof Error ? error.message : String(error)}`,
      { cause: error },
    );
  }
}

/** Runs of white space and control characters as one space: formats show them differently. */
function normalised(text: string): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what is folded.
  return text.replace(/[\s\u0000-\u001f\u007f]+/g, ' ').trim();
}

/** What a node must be found by when read back: `name:v3`, or the run id. */
function identityOf(node: LineageNode): string {
  return node.kind === 'run' ? node.run : node.id;
}

/**
 * Fails naming every node that `shows` does not find in the raw output, or whose id does not
 * come back through `labels` (unless `readBack` is false).
 */
async function expectShown(
  fixture: LineageExporterFixture,
  output: string,
  nodes: readonly LineageNode[],
  what: string,
  readBack = true,
): Promise<void> {
  const name = fixture.exporter.name;
  if (fixture.shows !== undefined) {
    const hidden = nodes
      .filter((node) => !fixture.shows?.(output, node))
      .map((node) => JSON.stringify(node.id));
    expect(hidden, `nodes of ${what} missing from the "${name}" output (shows())`).toEqual([]);
  }
  if (fixture.labels === undefined || !readBack) return;
  let texts: string[];
  try {
    texts = (await fixture.labels(output)).map(normalised);
  } catch (error) {
    throw new Error(
      `The "${name}" output for ${what} could not be read back by labels(): ${error instanceof Error ? error.message : String(error)}`,
      { cause: error },
    );
  }
  const lost = nodes
    .filter((node) => !texts.some((text) => text.includes(normalised(identityOf(node)))))
    .map((node) => JSON.stringify(identityOf(node)));
  if (lost.length > 0) {
    throw new Error(
      `nodes of ${what} missing from the "${name}" output read back by labels(): ${lost.join(', ')}. It read back ${JSON.stringify(texts.slice(0, 40))}${texts.length > 40 ? ' …' : ''}`,
    );
  }
}

/** The checks, in the order they run. */
export const lineageExporterChecks: readonly LineageExporterCheck[] = [
  {
    title: 'names itself, its media type and its file extension',
    async run({ exporter }) {
      expect(exporter.name, 'name').toMatch(/^[a-z][a-z0-9-]*$/);
      expect(exporter.mediaType, 'mediaType').toMatch(/^[a-z]+\/[a-z0-9.+-]+$/i);
      expect(exporter.fileExtension, 'fileExtension').toMatch(/^\.[a-z0-9]+$/i);
      expect(typeof exporter.export, 'export').toBe('function');
    },
  },
  {
    title: 'writes the same bytes for the same graph, and in any order of nodes and edges',
    async run(fixture) {
      const first = exportOf(fixture, soundGraph(), 'a sound graph');
      expect(exportOf(fixture, soundGraph(), 'a sound graph, again'), 'a second export').toBe(
        first,
      );
      expect(
        exportOf(fixture, shuffled(soundGraph()), 'the graph shuffled'),
        'the graph in another order',
      ).toBe(first);
    },
  },
  {
    title: 'never changes the graph it is given',
    async run(fixture) {
      // Frozen all the way down: sorting or editing the input throws.
      exportOf(fixture, deepFreeze(soundGraph()), 'a frozen graph');
      exportOf(fixture, deepFreeze(gappyGraph()), 'a frozen graph with gaps');
    },
  },
  {
    title: 'writes valid output for a sound graph, showing every node',
    async run(fixture) {
      const graph = soundGraph();
      const output = exportOf(fixture, graph, 'a sound graph', {
        title: 'lineage of eval-a-on-a',
        highlight: ['eval-a-on-a:v1', 'not-in-the-graph:v1'],
      });
      await validated(fixture, output, 'a sound graph');
      await expectShown(fixture, output, graph.nodes, 'a sound graph');
    },
  },
  {
    title: 'accepts an empty graph',
    async run(fixture) {
      const output = exportOf(fixture, { nodes: [], edges: [], aliases: [] }, 'an empty graph');
      await validated(fixture, output, 'an empty graph');
    },
  },
  {
    title: 'escapes hostile names: the output stays valid and shows each one',
    async run(fixture) {
      const graph = hostileGraph();
      const output = exportOf(fixture, graph, 'hostile names', {
        title: 'a "title"\nwith <tags> & %%',
      });
      await validated(fixture, output, 'hostile names');
      await expectShown(fixture, output, graph.nodes, 'hostile names');
    },
  },
  {
    title: 'shows every hostile name (needs shows() or labels())',
    skipReason: noShows,
    async run(fixture) {
      const graph = hostileGraph();
      await expectShown(
        fixture,
        exportOf(fixture, graph, 'hostile names'),
        graph.nodes,
        'hostile names',
      );
    },
  },
  {
    title: 'ends on a cycle, with valid output',
    async run(fixture) {
      const output = exportOf(fixture, cyclicGraph(), 'a cycle', { highlight: ['model-a:v1'] });
      await validated(fixture, output, 'a cycle');
    },
  },
  {
    title: 'draws edges to nodes the graph does not describe, and missing placeholders',
    async run(fixture) {
      const graph = gappyGraph();
      const output = exportOf(fixture, graph, 'a graph with gaps', { highlight: ['model-b:v2'] });
      await validated(fixture, output, 'a graph with gaps');
      await expectShown(
        fixture,
        output,
        graph.nodes.filter((node) => node.missing !== true),
        'a graph with gaps',
      );
    },
  },
  {
    title: `exports a chain of ${largeGraphRuns} runs and ${largeGraphRuns + 1} versions`,
    async run(fixture) {
      const graph = largeGraph(largeGraphRuns);
      const output = exportOf(fixture, graph, 'a large graph');
      expect(output.length, 'output of a large graph').toBeGreaterThan(largeGraphRuns);
      if (fixture.shows !== undefined) {
        // The ends and the middle: checking all would make the check itself quadratic.
        const sample = [
          graph.nodes[0],
          graph.nodes[largeGraphRuns],
          graph.nodes.at(-1),
        ] as LineageNode[];
        await expectShown(fixture, output, sample, 'a large graph', false);
      }
    },
  },
];
