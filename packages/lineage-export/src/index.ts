export {
  createDotExporter,
  type DotExporterOptions,
  dotExporterName,
  dotExporterOptionsSchema,
  dotString,
} from './dot-exporter.js';
export {
  createMermaidExporter,
  type MermaidExporterOptions,
  mermaidExporterName,
  mermaidExporterOptionsSchema,
  mermaidText,
} from './mermaid-exporter.js';
export {
  createOpenLineageExporter,
  externalDatasetName,
  type OpenLineageExporterOptions,
  type OpenLineageRunEvent,
  openLineageEvents,
  openLineageExporterName,
  openLineageExporterOptionsSchema,
  openLineageSchemaUrl,
} from './openlineage-exporter.js';
export { deterministicRunId } from './openlineage-run-id.js';
export { dotPlugin, mermaidPlugin, openLineagePlugin, plugin, treePlugin } from './plugins.js';
export {
  createTreeExporter,
  type TreeExporterOptions,
  treeExporterName,
  treeExporterOptionsSchema,
} from './tree-exporter.js';
