import { z } from 'zod';
import { definePlugin } from '../config/plugin.js';
import { createMemoryStorage, memoryStorageName } from './memory-storage.js';

/** Memory storage takes no options; anything given is a mistake worth reporting. */
export const memoryStorageOptionsSchema = z.object({}).strict();

/**
 * The manifest behind `use: memory` in `cairn.config.yaml`: an in-process store for tests and
 * examples. Nothing survives the process.
 */
export const memoryStoragePlugin = definePlugin({
  kind: 'storage',
  name: memoryStorageName,
  optionsSchema: memoryStorageOptionsSchema,
  create: () => createMemoryStorage(),
});
