import { isCairnError, type MetadataSource } from '@cairn/kernel';
import { expect } from 'vitest';
import { describeError } from '../storage/assertions.js';
import type { MetadataSourceCheckGroup, MetadataSourceFixture } from './metadata-source-check.js';
import { attemptLookup, subjectsOf, summarizeLookup } from './subject-lookups.js';

const noClose = (fixture: MetadataSourceFixture) =>
  typeof fixture.source.close === 'function' ? undefined : 'the source has no close()';

async function closeOrFail(source: MetadataSource, which: string): Promise<void> {
  try {
    await source.close?.();
  } catch (error) {
    expect.fail(`the ${which} close() rejected with ${describeError(error)}`);
  }
}

/** `close()` is optional; a source that has one releases everything and refuses new work. */
export const closeChecks: MetadataSourceCheckGroup = {
  title: 'close',
  checks: [
    {
      title: 'refuses lookups after close() with a CairnError',
      skipReason: noClose,
      async run(fixture) {
        await closeOrFail(fixture.source, 'first');
        for (const { subject, label } of subjectsOf(fixture)) {
          const attempt = await attemptLookup(fixture.source, subject);
          if (attempt.settled === 'resolved') {
            expect.fail(
              `${label} after close(): resolved with ${summarizeLookup(attempt.lookup)} instead of rejecting with a CairnError`,
            );
          }
          if (!isCairnError(attempt.error)) {
            expect.fail(
              `${label} after close(): rejected with ${describeError(attempt.error)} instead of a CairnError`,
            );
          }
        }
      },
    },
    {
      title: 'can be closed twice',
      skipReason: noClose,
      async run(fixture) {
        await closeOrFail(fixture.source, 'first');
        await closeOrFail(fixture.source, 'second');
      },
    },
  ],
};
