export * from './journal-events.js';
