export { isHighEntropyToken } from './high-entropy.js';
export { type ScrubErrorTextOptions, scrubErrorText } from './scrub-error-text.js';
export { type ContextSecretSpan, findContextSecrets } from './secret-contexts.js';
export { isSecretVariableName } from './secret-names.js';
export {
  findSecrets,
  looksSecret,
  redactedMarker,
  type ScrubResult,
  type SecretShapeKind,
  type SecretSpan,
  scrubSecretShapes,
} from './secret-shapes.js';
