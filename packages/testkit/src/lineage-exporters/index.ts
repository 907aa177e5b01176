export {
  describeLineageExporterConformance,
  type LineageExporterConformanceOptions,
} from './describe-lineage-exporter-conformance.js';
export { largeGraphRuns, lineageExporterChecks } from './lineage-exporter-checks.js';
export type { LineageExporterCheck, LineageExporterFixture } from './lineage-exporter-fixture.js';
export {
  cyclicGraph,
  gappyGraph,
  hostileGraph,
  hostileNames,
  largeGraph,
  shuffled,
  soundGraph,
} from './lineage-graph-fixtures.js';
