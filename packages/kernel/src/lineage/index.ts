export type { LineageExporter, LineageExportOptions } from './lineage-exporter.js';
export {
  type ArtifactLineageNode,
  type ArtifactType,
  artifactNodeId,
  artifactTypes,
  type LineageAlias,
  type LineageEdge,
  type LineageEdgeKind,
  type LineageGraph,
  type LineageNode,
  lineagePlaceholder,
  type RunLineageNode,
  runNodeId,
} from './lineage-graph.js';
export {
  type LineageWalkOptions,
  lineageAncestors,
  lineageAround,
  lineageDescendants,
  lineagePath,
  type ReachedNode,
} from './lineage-queries.js';
export { type LineageIssue, validateLineage } from './validate-lineage.js';
