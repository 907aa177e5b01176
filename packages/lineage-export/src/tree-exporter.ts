import type {
  LineageEdge,
  LineageExporter,
  LineageExportOptions,
  LineageGraph,
  LineageNode,
} from '@cairn/kernel';
import { z } from 'zod';
import { parseExporterOptions } from './exporter-options.js';
import {
  compareText,
  detailOf,
  type GraphView,
  replaceControlCharacters,
  titleOf,
  viewOf,
} from './graph-view.js';

/** The tree exporter's name. */
export const treeExporterName = 'tree';

/** Options of {@link createTreeExporter}. */
export const treeExporterOptionsSchema = z.strictObject({
  /** Levels shown below each heading; deeper ones are summarised as `…`. Default: all. */
  depth: z.number().int().positive().optional(),
  /** Draw branches with ASCII (`|--`, `` `-- ``) instead of box-drawing characters. */
  ascii: z.boolean().default(false),
});
/** What {@link createTreeExporter} takes. */
export type TreeExporterOptions = z.input<typeof treeExporterOptionsSchema>;

const unicodeBranches = { middle: '├── ', last: '└── ', through: '│   ', after: '    ' };
const asciiBranches = { middle: '|-- ', last: '`-- ', through: '|   ', after: '    ' };

/** One line's text: title and detail, control characters shown as spaces. */
function lineOf(node: LineageNode): string {
  return replaceControlCharacters(`${titleOf(node)} (${detailOf(node)})`, ' ');
}

interface TreeWriter {
  readonly view: GraphView;
  readonly branches: typeof unicodeBranches;
  readonly depth: number;
  readonly lines: string[];
}

/**
 * Writes the nodes one edge away from `id` in `direction`, and theirs, below `prefix`. A node
 * already on the path is a cycle and is marked instead of followed; a node already written in
 * this section is written again without its branch (`…`), so output stays proportional to the
 * graph.
 */
function writeBranch(
  writer: TreeWriter,
  id: string,
  direction: 'up' | 'down',
  prefix: string,
  level: number,
  path: Set<string>,
  written: Set<string>,
): void {
  const next = writer.view.edges
    .filter((edge: LineageEdge) => (direction === 'up' ? edge.to === id : edge.from === id))
    .map((edge) => (direction === 'up' ? edge.from : edge.to))
    .filter((other, index, all) => all.indexOf(other) === index)
    .sort(compareText);
  for (const [index, other] of next.entries()) {
    const last = index === next.length - 1;
    const node = writer.view.byId.get(other) as LineageNode;
    const branch = `${prefix}${last ? writer.branches.last : writer.branches.middle}`;
    const below = `${prefix}${last ? writer.branches.after : writer.branches.through}`;
    if (path.has(other)) {
      writer.lines.push(`${branch}${lineOf(node)} ↺ cycle`);
      continue;
    }
    if (written.has(other)) {
      writer.lines.push(`${branch}${lineOf(node)} (shown above)`);
      continue;
    }
    written.add(other);
    if (level >= writer.depth) {
      const more = writer.view.edges.some((edge) =>
        direction === 'up' ? edge.to === other : edge.from === other,
      );
      writer.lines.push(`${branch}${lineOf(node)}${more ? ' …' : ''}`);
      continue;
    }
    writer.lines.push(`${branch}${lineOf(node)}`);
    path.add(other);
    writeBranch(writer, other, direction, below, level + 1, path, written);
    path.delete(other);
  }
}

/**
 * A text tree for terminals: for each highlighted node (or, with none, each node nothing
 * points at), its `Parents` (what it came from) and `Children` (what was made from it), to
 * `depth` levels. Cycles are marked `↺ cycle` and never followed twice.
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
        depth: settings.depth ?? Number.POSITIVE_INFINITY,
        lines: [],
      };
      if (exportOptions.title !== undefined) {
        writer.lines.push(replaceControlCharacters(exportOptions.title, ' '), '');
      }
      const highlighted = (exportOptions.highlight ?? []).filter((id) => view.byId.has(id));
      if (highlighted.length > 0) {
        for (const id of highlighted) {
          writer.lines.push(lineOf(view.byId.get(id) as LineageNode));
          for (const [heading, direction, last] of [
            ['Parents', 'up', false],
            ['Children', 'down', true],
          ] as const) {
            writer.lines.push(`${last ? branches.last : branches.middle}${heading}`);
            const prefix = last ? branches.after : branches.through;
            const before = writer.lines.length;
            writeBranch(writer, id, direction, prefix, 1, new Set([id]), new Set([id]));
            if (writer.lines.length === before)
              writer.lines.push(`${prefix}${branches.last}(none)`);
          }
        }
      } else {
        // A forest from the roots; nodes only reachable inside a cycle start trees of their own.
        const written = new Set<string>();
        const hasParent = new Set(view.edges.map((edge) => edge.to));
        const starts = [
          ...view.nodes.filter((node) => !hasParent.has(node.id)),
          ...view.nodes.filter((node) => hasParent.has(node.id)),
        ];
        for (const node of starts) {
          if (written.has(node.id)) continue;
          written.add(node.id);
          writer.lines.push(lineOf(node));
          writeBranch(writer, node.id, 'down', '', 1, new Set([node.id]), written);
        }
      }
      return writer.lines.length === 0 ? '(empty lineage)\n' : `${writer.lines.join('\n')}\n`;
    },
  };
}
