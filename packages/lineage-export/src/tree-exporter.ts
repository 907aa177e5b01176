import type {
  LineageExporter,
  LineageExportOptions,
  LineageGraph,
  LineageNode,
} from '@cairn/kernel';
import { z } from 'zod';
import { parseExporterOptions } from './exporter-options.js';
import {
  detailOf,
  type GraphView,
  replaceControlCharacters,
  titleOf,
  viewOf,
} from './graph-view.js';
import { type TreeNeighbours, type TreeRuns, treeNeighbours } from './tree-neighbours.js';

/** The tree exporter's name. */
export const treeExporterName = 'tree';

/** Options of {@link createTreeExporter}. */
export const treeExporterOptionsSchema = z.strictObject({
  /**
   * Levels shown below each heading (default 64); a node with more below is marked `…`. In the
   * forest drawn without a highlighted node, what lies deeper starts a tree of its own, so every
   * node is shown while lines stay short enough for a terminal.
   */
  depth: z.number().int().positive().default(64),
  /** Draw branches with ASCII (`|--`, `` `-- ``) instead of box-drawing characters. */
  ascii: z.boolean().default(false),
  /**
   * `nodes` (default): runs are levels of their own between what they used and what they
   * produced. `inline`: only artifact versions are levels, each followed by the runs that
   * produced it (`model-ttrl:v1 (model) ← run ttrl/… (completed)`), half as deep.
   */
  runs: z.enum(['nodes', 'inline']).default('nodes'),
});
/** What {@link createTreeExporter} takes. */
export type TreeExporterOptions = z.input<typeof treeExporterOptionsSchema>;

const unicodeBranches = { middle: '├── ', last: '└── ', through: '│   ', after: '    ' };
const asciiBranches = { middle: '|-- ', last: '`-- ', through: '|   ', after: '    ' };

/** One line's text: title and detail, control characters shown as spaces. */
function lineOf(node: LineageNode): string {
  return replaceControlCharacters(`${titleOf(node)} (${detailOf(node)})`, ' ');
}

interface TreeWriter extends TreeNeighbours {
  readonly view: GraphView;
  readonly branches: typeof unicodeBranches;
  readonly depth: number;
  readonly lines: string[];
}

/** A node's line, with runs inline followed by the runs that produced it. */
function lineWithRuns(writer: TreeWriter, node: LineageNode): string {
  const runs = (writer.producers.get(node.id) ?? []).map((id) => {
    const run = writer.view.byId.get(id) as LineageNode;
    return lineOf(run);
  });
  return runs.length === 0 ? lineOf(node) : `${lineOf(node)} ← ${runs.join(', ')}`;
}

/** A node whose branch is being written: its neighbours and how far through them. */
interface Frame {
  readonly id: string;
  readonly prefix: string;
  readonly level: number;
  readonly next: readonly string[];
  position: number;
}

/**
 * Writes the nodes one edge away from `start` in `direction`, and theirs, below `prefix`,
 * depth first with an explicit stack (a chain of 100,000 runs must not overflow the call
 * stack). A node already on the path is a cycle and is marked instead of followed; a node
 * already written is written again without its branch (`shown above`), so output stays
 * proportional to the graph; below `depth` levels a node with more is marked `…`.
 */
function writeBranch(
  writer: TreeWriter,
  start: string,
  direction: 'up' | 'down',
  prefix: string,
  written: Set<string>,
): void {
  const neighbours = direction === 'up' ? writer.up : writer.down;
  const path = new Set([start]);
  const stack: Frame[] = [
    { id: start, prefix, level: 1, next: neighbours.get(start) ?? [], position: 0 },
  ];
  while (stack.length > 0) {
    const frame = stack[stack.length - 1] as Frame;
    if (frame.position >= frame.next.length) {
      stack.pop();
      path.delete(frame.id);
      continue;
    }
    const other = frame.next[frame.position] as string;
    frame.position += 1;
    const last = frame.position === frame.next.length;
    const node = writer.view.byId.get(other) as LineageNode;
    const branch = `${frame.prefix}${last ? writer.branches.last : writer.branches.middle}`;
    if (path.has(other)) {
      writer.lines.push(`${branch}${lineOf(node)} ↺ cycle`);
      continue;
    }
    if (written.has(other)) {
      writer.lines.push(`${branch}${lineOf(node)} (shown above)`);
      continue;
    }
    const further = neighbours.get(other) ?? [];
    if (frame.level >= writer.depth) {
      writer.lines.push(`${branch}${lineWithRuns(writer, node)}${further.length > 0 ? ' …' : ''}`);
      continue;
    }
    written.add(other);
    writer.lines.push(`${branch}${lineWithRuns(writer, node)}`);
    path.add(other);
    stack.push({
      id: other,
      prefix: `${frame.prefix}${last ? writer.branches.after : writer.branches.through}`,
      level: frame.level + 1,
      next: further,
      position: 0,
    });
  }
}

/**
 * A text tree for terminals: for each highlighted node (or, with none, each node nothing
 * points at), its `Parents` (what it came from) and `Children` (what was made from it), to
 * `depth` levels. Cycles are marked `↺ cycle` and never followed twice. With `runs: 'inline'`
 * runs are not levels but follow the versions they produced (`… ← run ttrl/… (completed)`).
 *
 * ```
 * eval-ttrl-on-gsm8k:v1 (evaluation [latest])
 * ├── Parents
 * │   └── run eval/20250810T143022.123Z-k3f9a2 (completed)
 * │       ├── dataset-gsm8k:v1 (dataset)
 * │       └── model-ttrl:v1 (model [best])
 * └── Children
 *     └── (none)
 * ```
 *
 * @throws CairnError `INVALID_OPTIONS` for bad options.
 */
export function createTreeExporter(options: TreeExporterOptions = {}): LineageExporter {
  const settings = parseExporterOptions(treeExporterName, treeExporterOptionsSchema, options);
  const branches = settings.ascii ? asciiBranches : unicodeBranches;
  return {
    name: treeExporterName,
    mediaType: 'text/plain',
    fileExtension: '.txt',
    export(graph: LineageGraph, exportOptions: LineageExportOptions = {}): string {
      const view = viewOf(graph);
      const writer: TreeWriter = {
        view,
        branches,
        depth: settings.depth,
        lines: [],
        ...treeNeighbours(view, settings.runs as TreeRuns),
      };
      if (exportOptions.title !== undefined) {
        writer.lines.push(replaceControlCharacters(exportOptions.title, ' '), '');
      }
      const highlighted = (exportOptions.highlight ?? []).filter((id) => view.byId.has(id));
      if (highlighted.length > 0) {
        for (const id of highlighted) {
          writer.lines.push(lineWithRuns(writer, view.byId.get(id) as LineageNode));
          for (const [heading, direction, last] of [
            ['Parents', 'up', false],
            ['Children', 'down', true],
          ] as const) {
            writer.lines.push(`${last ? branches.last : branches.middle}${heading}`);
            const prefix = last ? branches.after : branches.through;
            const before = writer.lines.length;
            writeBranch(writer, id, direction, prefix, new Set([id]));
            if (writer.lines.length === before)
              writer.lines.push(`${prefix}${branches.last}(none)`);
          }
        }
      } else {
        // A forest from the roots; nodes only reachable inside a cycle start trees of their own.
        // Runs shown beside what they produced are not trees of their own.
        const written = new Set<string>();
        const hasParent = (id: string) => (writer.up.get(id) ?? []).length > 0;
        const drawn = view.nodes.filter(
          (node) =>
            settings.runs === 'nodes' ||
            node.kind !== 'run' ||
            (writer.down.get(node.id) ?? []).length === 0,
        );
        const starts = [
          ...drawn.filter((node) => !hasParent(node.id)),
          ...drawn.filter((node) => hasParent(node.id)),
        ];
        for (const node of starts) {
          if (written.has(node.id)) continue;
          written.add(node.id);
          writer.lines.push(lineWithRuns(writer, node));
          writeBranch(writer, node.id, 'down', '', written);
        }
      }
      return writer.lines.length === 0 ? '(empty lineage)\n' : `${writer.lines.join('\n')}\n`;
    },
  };
}
