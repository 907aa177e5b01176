import { cancellationChecks } from './cancellation-checks.js';
import { closeChecks } from './close-checks.js';
import { lookupOutcomeChecks } from './lookup-outcome-checks.js';
import type { MetadataSourceCheckGroup } from './metadata-source-check.js';
import { nameChecks } from './name-checks.js';
import { repeatabilityChecks } from './repeatability-checks.js';
import { secretChecks } from './secret-checks.js';
import { subjectChecks } from './subject-checks.js';

/** Every group of the metadata-source conformance suite, in the order it runs. */
export const metadataSourceCheckGroups: readonly MetadataSourceCheckGroup[] = [
  nameChecks,
  lookupOutcomeChecks,
  subjectChecks,
  repeatabilityChecks,
  cancellationChecks,
  closeChecks,
  secretChecks,
];

export {
  cancellationChecks,
  closeChecks,
  lookupOutcomeChecks,
  nameChecks,
  repeatabilityChecks,
  secretChecks,
  subjectChecks,
};
