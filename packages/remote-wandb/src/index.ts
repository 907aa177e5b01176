export { plugin } from './plugin.js';
export { authorizationFor } from './wandb-graphql-request.js';
export { formatRunPath, parseRunPath, type WandbRunPath } from './wandb-run-path.js';
export { runQuery } from './wandb-run-response.js';
export { createWandbSource, type WandbSourceHooks } from './wandb-source.js';
export {
  type ResolvedWandbSourceOptions,
  type WandbSourceOptions,
  wandbSourceName,
  wandbSourceOptionsSchema,
} from './wandb-source-options.js';
