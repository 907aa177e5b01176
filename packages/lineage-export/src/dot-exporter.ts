import type { LineageExporter, LineageExportOptions, LineageGraph } from '@cairn/kernel';
import { z } from 'zod';
import { parseExporterOptions } from './exporter-options.js';
import {
  detailOf,
  type NodeStyle,
  replaceControlCharacters,
  styleOf,
  titleOf,
  viewOf,
} from './graph-view.js';

/** The DOT exporter's name, also its `use:` in `cairn.config.yaml`. */
export const dotExporterName = 'dot';

/** Options of {@link createDotExporter}. */
export const dotExporterOptionsSchema = z.strictObject({
  /** Which way data flows on the page: left to right (default) or top to bottom, … */
  rankDirection: z.enum(['LR', 'TB', 'RL', 'BT']).default('LR'),
  /** Write what each edge means (`used`, `produced`, `derived`) on it. */
  edgeLabels: z.boolean().default(true),
});
/** What {@link createDotExporter} takes. */
export type DotExporterOptions = z.input<typeof dotExporterOptionsSchema>;

/** Shape and fill per style: a glance tells datasets from models from runs. */
const nodeAttributes: Readonly<Record<NodeStyle, string>> = {
  dataset: 'shape=cylinder, fillcolor="#dbeafe"',
  model: 'shape=box3d, fillcolor="#dcfce7"',
  checkpoint: 'shape=folder, fillcolor="#fef9c3"',
  evaluation: 'shape=note, fillcolor="#fce7f3"',
  metrics: 'shape=tab, fillcolor="#ede9fe"',
  'experience-buffer': 'shape=component, fillcolor="#ffedd5"',
  config: 'shape=box, fillcolor="#f1f5f9"',
  report: 'shape=note, fillcolor="#e0f2fe"',
  other: 'shape=box, fillcolor="#ffffff"',
  run: 'shape=ellipse',
  missing: 'shape=box, style="dashed", color="#9ca3af", fontcolor="#6b7280"',
};

/** Runs are filled by state, so a failed run stands out in the lineage. */
const runFill: Readonly<Record<string, string>> = {
  COMPLETED: '#bbf7d0',
  FAILED: '#fecaca',
  INTERRUPTED: '#fde68a',
  RUNNING: '#bfdbfe',
};

const edgeAttributes = {
  used: 'style=solid',
  produced: 'style=bold',
  derived: 'style=dashed',
} as const;

/**
 * A DOT double-quoted string. DOT reads `\"` as a quote and keeps other backslashes, which
 * label escapes (`\n`, `\N`, `\G`, `\l`) then interpret: every backslash is doubled so a name
 * shows as written, `&` is written `&amp;` (Graphviz reads entities such as `&lt;` in labels),
 * line breaks become `\n` and other control characters spaces.
 */
export function dotString(text: string): string {
  const lines = text
    .split(/\r\n?|\n/)
    .map((line) =>
      replaceControlCharacters(line, ' ')
        .replace(/&/g, '&amp;')
        .replace(/\\/g, '\\\\')
        .replace(/"/g, '\\"'),
    );
  return `"${lines.join('\\n')}"`;
}

/**
 * Graphviz DOT: artifact versions shaped and filled by type (datasets as cylinders, models as
 * boxes, …), runs as ellipses filled by state, missing nodes dashed, highlighted nodes bold;
 * edges solid for `used`, bold for `produced`, dashed for `derived`. Node ids in the output are
 * `n1, n2, …` in the order of the graph's ids, so names never need escaping as ids; labels and
 * tooltips carry the names, escaped. Render with `dot -Tsvg lineage.dot > lineage.svg`.
 *
 * @throws CairnError `INVALID_OPTIONS` for bad options.
 */
export function createDotExporter(options: DotExporterOptions = {}): LineageExporter {
  const settings = parseExporterOptions(dotExporterName, dotExporterOptionsSchema, options);
  return {
    name: dotExporterName,
    mediaType: 'text/vnd.graphviz',
    fileExtension: '.dot',
    export(graph: LineageGraph, exportOptions: LineageExportOptions = {}): string {
      const view = viewOf(graph);
      const highlighted = new Set(exportOptions.highlight ?? []);
      const handles = new Map(view.nodes.map((node, index) => [node.id, `n${index + 1}`]));
      const lines = [
        'digraph lineage {',
        '  charset="UTF-8";',
        `  rankdir=${settings.rankDirection};`,
        ...(exportOptions.title === undefined
          ? []
          : [`  label=${dotString(exportOptions.title)};`, '  labelloc=t;']),
        '  node [style="filled,rounded", fontname="Helvetica", fontsize=11];',
        '  edge [fontname="Helvetica", fontsize=9, color="#4b5563"];',
      ];
      for (const node of view.nodes) {
        const style = styleOf(node);
        const attributes = [
          `label=${dotString(`${titleOf(node)}\n${detailOf(node)}`)}`,
          `tooltip=${dotString(node.id)}`,
          nodeAttributes[style],
        ];
        if (node.kind === 'run' && style === 'run') {
          attributes.push(`fillcolor="${(node.state && runFill[node.state]) ?? '#e5e7eb'}"`);
        }
        if (highlighted.has(node.id)) attributes.push('penwidth=3');
        lines.push(`  ${handles.get(node.id)} [${attributes.join(', ')}];`);
      }
      for (const edge of view.edges) {
        const attributes: string[] = [edgeAttributes[edge.kind] ?? 'style=solid'];
        if (settings.edgeLabels) attributes.push(`label=${dotString(edge.kind)}`);
        lines.push(
          `  ${handles.get(edge.from)} -> ${handles.get(edge.to)} [${attributes.join(', ')}];`,
        );
      }
      lines.push('}');
      return `${lines.join('\n')}\n`;
    },
  };
}
