import { describeLineageExporterConformance } from '@cairn/testkit';
import { createMermaidExporter, mermaidText } from './mermaid-exporter.js';
import { mermaidLabels, parseMermaid } from './testing/mermaid-parser.js';

describeLineageExporterConformance({
  name: 'mermaid',
  create: () => ({
    exporter: createMermaidExporter(),
    shows: (output, node) =>
      output.includes(`"${mermaidText(node.kind === 'run' ? `run ${node.run}` : node.id)}<br>`),
    validate: async (output) => {
      await parseMermaid(output);
    },
    // Read back by Mermaid's parser and decoded as Mermaid draws it, not by our own escaping.
    labels: mermaidLabels,
  }),
});
