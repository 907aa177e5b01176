import { isAbsolute, resolve } from 'node:path';
import { definePlugin } from '@cairn/kernel';
import { createFsStorage } from './fs-storage.js';
import { fsStorageName, fsStorageOptionsSchema } from './fs-storage-options.js';

/**
 * The manifest the config loader uses for `storage: { use: fs, options: { root: … } }`. A
 * relative `root` resolves from the project directory (where `cairn.config.yaml` lives), not
 * from wherever the command was started.
 */
export const plugin = definePlugin({
  kind: 'storage',
  name: fsStorageName,
  optionsSchema: fsStorageOptionsSchema,
  create(options, context) {
    const root = isAbsolute(options.root)
      ? options.root
      : resolve(context.projectDirectory, options.root);
    return createFsStorage({ ...options, root }, { logger: context.logger });
  },
});
