export * from './layout.js';
export * from './names.js';
export * from './time-id.js';
