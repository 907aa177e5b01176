export type * from './attempt.js';
export * from './classify.js';
export * from './clock.js';
export * from './deterministic-random.js';
export * from './fallback.js';
export * from './manual-clock.js';
export * from './retry.js';
export * from './retry-after.js';
export type {
  JitterMode,
  RetryPolicy,
  RetryPolicyOptions,
  RetrySettings,
} from './retry-policy.js';
export {
  createRetryPolicy,
  retryPolicyOptionsSchema,
  retrySettingsSchema,
} from './retry-policy.js';
