import {
  createMemoryMetadataSource,
  memorySourceFixture,
} from '../testing/memory-metadata-source.js';
import { describeMetadataSourceConformance } from './describe-metadata-source-conformance.js';

// The well-behaved reference source: its fixture gives everything the suite can use (expected
// answers, unusable subjects, a secret, close()), so every check runs and none is skipped.
describeMetadataSourceConformance({
  name: 'memory',
  create: async () => memorySourceFixture(createMemoryMetadataSource()),
});
