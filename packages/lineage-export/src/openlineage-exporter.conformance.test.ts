import { describeLineageExporterConformance } from '@cairn/testkit';
import { createOpenLineageExporter } from './openlineage-exporter.js';
import { runEventSchema } from './testing/openlineage-spec.js';

describeLineageExporterConformance({
  name: 'openlineage',
  create: () => ({
    exporter: createOpenLineageExporter(),
    // A run is its job's name; an artifact a dataset's name.
    shows: (output, node) =>
      output.includes(`"name":${JSON.stringify(node.kind === 'run' ? node.pipeline : node.name)}`),
    validate: (output) => {
      for (const [index, line] of output.split('\n').slice(0, -1).entries()) {
        const parsed = runEventSchema.safeParse(JSON.parse(line));
        if (!parsed.success) {
          throw new Error(
            `event ${index + 1} breaks the 2-0-2 RunEvent rules: ${parsed.error.message}`,
          );
        }
      }
    },
  }),
});
