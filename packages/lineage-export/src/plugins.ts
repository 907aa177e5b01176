import { definePlugin } from '@cairn/kernel';
import { createDotExporter, dotExporterName, dotExporterOptionsSchema } from './dot-exporter.js';
import {
  createMermaidExporter,
  mermaidExporterName,
  mermaidExporterOptionsSchema,
} from './mermaid-exporter.js';
import {
  createOpenLineageExporter,
  openLineageExporterName,
  openLineageExporterOptionsSchema,
} from './openlineage-exporter.js';
import {
  createTreeExporter,
  treeExporterName,
  treeExporterOptionsSchema,
} from './tree-exporter.js';

/** `exporters: [{ use: dot }]` in `cairn.config.yaml`. */
export const dotPlugin = definePlugin({
  kind: 'lineage-exporter',
  name: dotExporterName,
  optionsSchema: dotExporterOptionsSchema,
  create: (options) => createDotExporter(options),
});

/** `exporters: [{ use: mermaid }]` in `cairn.config.yaml`. */
export const mermaidPlugin = definePlugin({
  kind: 'lineage-exporter',
  name: mermaidExporterName,
  optionsSchema: mermaidExporterOptionsSchema,
  create: (options) => createMermaidExporter(options),
});

/** `exporters: [{ use: openlineage, options: { namespace: my-team } }]` in `cairn.config.yaml`. */
export const openLineagePlugin = definePlugin({
  kind: 'lineage-exporter',
  name: openLineageExporterName,
  optionsSchema: openLineageExporterOptionsSchema,
  create: (options) => createOpenLineageExporter(options),
});

/** `exporters: [{ use: '@cairn/lineage-export' }]` picks this one: the terminal tree. */
export const treePlugin = definePlugin({
  kind: 'lineage-exporter',
  name: treeExporterName,
  optionsSchema: treeExporterOptionsSchema,
  create: (options) => createTreeExporter(options),
});

/** The default export a package name alone resolves to. */
export { treePlugin as plugin };
