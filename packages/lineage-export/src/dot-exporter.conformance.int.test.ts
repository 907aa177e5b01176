import { spawnSync } from 'node:child_process';
import { describeLineageExporterConformance } from '@cairn/testkit';
import { createDotExporter, dotString } from './dot-exporter.js';

const hasDot = spawnSync('dot', ['-V']).status === 0;

describeLineageExporterConformance({
  name: 'dot',
  create: () => ({
    exporter: createDotExporter(),
    shows: (output, node) => output.includes(`tooltip=${dotString(node.id)}`),
    // Rendered by Graphviz when it is installed (CI installs it): a syntax error or a warning fails.
    ...(hasDot
      ? {
          validate: (output: string) => {
            const result = spawnSync('dot', ['-Tsvg', '-o', '/dev/null'], {
              input: output,
              encoding: 'utf8',
            });
            if (result.status !== 0 || result.stderr !== '') {
              throw new Error(`dot -Tsvg exited ${result.status}: ${result.stderr}`);
            }
          },
        }
      : {}),
  }),
});
