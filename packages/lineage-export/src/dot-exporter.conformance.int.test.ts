import { describeLineageExporterConformance } from '@cairn/testkit';
import { createDotExporter, dotString } from './dot-exporter.js';
import { graphvizNodeLabels, hasGraphviz } from './testing/graphviz.js';

// With Graphviz (CI installs it), every output is rendered: a syntax error or a warning fails,
// and each node's name must come back in the labels Graphviz drew. Without it, only the raw
// text is searched, and dot-render.int.test.ts shows a skip saying why.
describeLineageExporterConformance({
  name: 'dot',
  create: () => ({
    exporter: createDotExporter(),
    shows: (output, node) => output.includes(`tooltip=${dotString(node.id)}`),
    ...(hasGraphviz
      ? {
          validate: (output: string) => {
            graphvizNodeLabels(output);
          },
          labels: graphvizNodeLabels,
        }
      : {}),
  }),
});
