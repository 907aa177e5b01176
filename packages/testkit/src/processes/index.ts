export * from './release-signal.js';
export * from './released-children.js';
export * from './tsx-child-command.js';
