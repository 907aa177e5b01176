import { listFixture } from '../testing/list-lineage-exporter.js';
import { describeLineageExporterConformance } from './describe-lineage-exporter-conformance.js';

// The suite as a plugin author runs it, against the testkit's own small exporter.
describeLineageExporterConformance({ name: 'list (testkit example)', create: () => listFixture() });
