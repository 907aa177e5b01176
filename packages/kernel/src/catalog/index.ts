export type * from './metadata-source.js';
export { answerOfRecord, createSidecarSource, sidecarSourceName } from './sidecar-source.js';
