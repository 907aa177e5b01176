import { describeLineageExporterConformance } from '@cairn/testkit';
import { replaceControlCharacters } from './graph-view.js';
import { createTreeExporter } from './tree-exporter.js';

describeLineageExporterConformance({
  name: 'tree',
  create: () => ({
    exporter: createTreeExporter(),
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
