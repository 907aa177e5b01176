import { isCairnError } from '@cairn/kernel';
import { expect } from 'vitest';
import { describeError } from '../storage/assertions.js';
import type { MetadataSourceCheckGroup } from './metadata-source-check.js';
import { attemptLookup, subjectsOf, summarizeLookup } from './subject-lookups.js';

/** A cancelled listing must stop: the catalog passes its signal to every lookup. */
export const cancellationChecks: MetadataSourceCheckGroup = {
  title: 'cancellation',
  checks: [
    {
      title: 'rejects with ABORTED when the signal is already aborted, for every subject',
      async run(fixture) {
        for (const { subject, label } of subjectsOf(fixture)) {
          const reason = new Error('the conformance suite aborted this lookup');
          const attempt = await attemptLookup(fixture.source, {
            ...subject,
            signal: AbortSignal.abort(reason),
          });
          const asked = `${label} with an already-aborted signal`;
          if (attempt.settled === 'resolved') {
            expect.fail(
              `${asked}: resolved with ${summarizeLookup(attempt.lookup)} instead of rejecting with a CairnError ABORTED; check subject.signal before doing any work`,
            );
          }
          if (!isCairnError(attempt.error, 'ABORTED')) {
            expect.fail(
              `${asked}: rejected with ${describeError(attempt.error)} instead of a CairnError ABORTED (abortedError from @cairn/kernel makes one)`,
            );
          }
        }
      },
    },
  ],
};
