import { describeLineageExporterConformance } from '@cairn/testkit';
import { replaceControlCharacters } from './graph-view.js';
import { createTreeExporter } from './tree-exporter.js';

for (const runs of ['nodes', 'inline'] as const) {
  describeLineageExporterConformance({
    name: `tree (runs as ${runs})`,
    create: () => ({
      exporter: createTreeExporter({ runs }),
      // Control characters are shown as spaces in a terminal tree.
      shows: (output, node) =>
        output.includes(
          replaceControlCharacters(node.kind === 'run' ? `run ${node.run}` : node.id, ' '),
        ),
      validate: (output) => {
        // Every control character but the line break is gone.
        if (replaceControlCharacters(output.replace(/\n/g, ''), '') !== output.replace(/\n/g, '')) {
          throw new Error('the tree holds control characters other than line breaks');
        }
      },
    }),
  });
}
