import { definePlugin } from '@cairn/kernel';
import { createWandbSource } from './wandb-source.js';
import { wandbSourceName, wandbSourceOptionsSchema } from './wandb-source-options.js';

/** The manifest `cairn.config.yaml` uses for `metadataSources: [{ use: wandb }]`. */
export const plugin = definePlugin({
  kind: 'metadata-source',
  name: wandbSourceName,
  optionsSchema: wandbSourceOptionsSchema,
  secretOptions: ['apiKey'],
  create: (options, context) => createWandbSource(options, { logger: context.logger }),
});
