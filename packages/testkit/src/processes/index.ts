export * from './release-signal.js';
export * from './released-children.js';
