import { createHash } from 'node:crypto';
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
  type NodeStyle,
  replaceControlCharacters,
  styleOf,
  titleOf,
  viewOf,
} from './graph-view.js';

/** The Mermaid exporter's name, also its `use:` in `cairn.config.yaml`. */
export const mermaidExporterName = 'mermaid';

/** Options of {@link createMermaidExporter}. */
export const mermaidExporterOptionsSchema = z.strictObject({
  /** Flowchart direction: left to right (default), top down, … */
  direction: z.enum(['LR', 'TD', 'RL', 'BT']).default('LR'),
  /** Write what each edge means (`used`, `produced`, `derived`) on it. */
  edgeLabels: z.boolean().default(true),
});
/** What {@link createMermaidExporter} takes. */
export type MermaidExporterOptions = z.input<typeof mermaidExporterOptionsSchema>;

/** The bracket pair of each style's shape. */
const shapes: Readonly<Record<NodeStyle, readonly [string, string]>> = {
  dataset: ['[(', ')]'],
  model: ['[[', ']]'],
  checkpoint: ['[/', '/]'],
  evaluation: ['{{', '}}'],
  metrics: ['[\\', '\\]'],
  'experience-buffer': ['[(', ')]'],
  config: ['[', ']'],
  report: ['[', ']'],
  other: ['[', ']'],
  run: ['([', '])'],
  missing: ['[', ']'],
};

/** Class names are identifiers: `experience-buffer` becomes `experience_buffer`. */
function classOf(style: NodeStyle): string {
  return style.replace(/-/g, '_');
}

const classDefinitions = [
  'classDef dataset fill:#dbeafe,stroke:#1d4ed8',
  'classDef model fill:#dcfce7,stroke:#15803d',
  'classDef checkpoint fill:#fef9c3,stroke:#a16207',
  'classDef evaluation fill:#fce7f3,stroke:#be185d',
  'classDef metrics fill:#ede9fe,stroke:#6d28d9',
  'classDef experience_buffer fill:#ffedd5,stroke:#c2410c',
  'classDef config fill:#f1f5f9,stroke:#475569',
  'classDef report fill:#e0f2fe,stroke:#0369a1',
  'classDef other fill:#ffffff,stroke:#374151',
  'classDef run fill:#e5e7eb,stroke:#374151',
  'classDef run_completed fill:#bbf7d0,stroke:#15803d',
  'classDef run_failed fill:#fecaca,stroke:#b91c1c',
  'classDef run_interrupted fill:#fde68a,stroke:#b45309',
  'classDef run_running fill:#bfdbfe,stroke:#1d4ed8',
  'classDef missing fill:#ffffff,stroke:#9ca3af,stroke-dasharray:4 3,color:#6b7280',
  'classDef highlight stroke-width:3px',
];

const arrows = { used: '-->', produced: '==>', derived: '-.->' } as const;

/**
 * Text inside a quoted Mermaid label: the quote, `#` (which starts entity codes), angle
 * brackets, `&` and backticks (markdown strings) become entity codes, so a name is shown as
 * written and never read as markup; line breaks become spaces.
 */
export function mermaidText(text: string): string {
  const escaped = text
    .replace(/#/g, '#35;')
    .replace(/"/g, '#quot;')
    .replace(/&/g, '#amp;')
    .replace(/</g, '#lt;')
    .replace(/>/g, '#gt;')
    .replace(/`/g, '#96;')
    .replace(/\r\n/g, ' ');
  return replaceControlCharacters(escaped, ' ');
}

/**
 * A flowchart id for a node: its id with every character outside `[A-Za-z0-9_]` replaced,
 * prefixed by kind (`a_` artifact, `r_` run) so it never is a keyword (`end`) or starts an
 * `o`/`x` edge head; a short hash is added when two ids would sanitise alike.
 */
function flowchartIds(nodes: readonly LineageNode[]): Map<string, string> {
  const ids = new Map<string, string>();
  const taken = new Map<string, number>();
  const base = (node: LineageNode) =>
    `${node.kind === 'run' ? 'r' : 'a'}_${node.id.replace(/^run:/, '').replace(/[^A-Za-z0-9_]/g, '_')}`;
  for (const node of nodes) taken.set(base(node), (taken.get(base(node)) ?? 0) + 1);
  for (const node of nodes) {
    const plain = base(node);
    const unique =
      (taken.get(plain) ?? 0) > 1
        ? `${plain}_${createHash('sha256').update(node.id).digest('hex').slice(0, 8)}`
        : plain;
    ids.set(node.id, unique);
  }
  return ids;
}

/**
 * A Mermaid flowchart: node ids sanitised, labels quoted and escaped, shapes and `classDef`s
 * per type (datasets as cylinders, models as subroutines, runs as stadiums filled by state),
 * missing nodes dashed, highlighted nodes thick; `-->` used, `==>` produced, `-.->` derived.
 * Paste it into a ```` ```mermaid ```` block on GitHub or in docs.
 *
 * @throws CairnError `INVALID_OPTIONS` for bad options.
 */
export function createMermaidExporter(options: MermaidExporterOptions = {}): LineageExporter {
  const settings = parseExporterOptions(mermaidExporterName, mermaidExporterOptionsSchema, options);
  return {
    name: mermaidExporterName,
    mediaType: 'text/vnd.mermaid',
    fileExtension: '.mmd',
    export(graph: LineageGraph, exportOptions: LineageExportOptions = {}): string {
      const view = viewOf(graph);
      const ids = flowchartIds(view.nodes);
      const lines: string[] = [];
      if (exportOptions.title !== undefined) {
        // A JSON string is a valid YAML double-quoted scalar: any title is safe here.
        lines.push(
          '---',
          `title: ${JSON.stringify(exportOptions.title.replace(/\r\n?|\n/g, ' '))}`,
          '---',
        );
      }
      lines.push(`flowchart ${settings.direction}`);
      const classes = new Map<string, string[]>();
      const addClass = (name: string, id: string) => {
        const members = classes.get(name);
        if (members === undefined) classes.set(name, [id]);
        else members.push(id);
      };
      for (const node of view.nodes) {
        const id = ids.get(node.id) as string;
        const style = styleOf(node);
        const [open, close] = shapes[style];
        const label = `${mermaidText(titleOf(node))}<br>${mermaidText(detailOf(node))}`;
        lines.push(`  ${id}${open}"${label}"${close}`);
        addClass(classOf(style), id);
        if (node.kind === 'run' && style === 'run' && node.state !== undefined) {
          addClass(`run_${node.state.toLowerCase()}`, id);
        }
        if (exportOptions.highlight?.includes(node.id)) addClass('highlight', id);
      }
      for (const edge of view.edges) {
        const arrow = arrows[edge.kind] ?? '-->';
        const label = settings.edgeLabels ? `|${edge.kind}|` : '';
        lines.push(`  ${ids.get(edge.from)} ${arrow}${label} ${ids.get(edge.to)}`);
      }
      for (const definition of classDefinitions) lines.push(`  ${definition}`);
      for (const [name, members] of [...classes].sort(([left], [right]) =>
        left < right ? -1 : left > right ? 1 : 0,
      )) {
        lines.push(`  class ${members.join(',')} ${name}`);
      }
      return `${lines.join('\n')}\n`;
    },
  };
}
