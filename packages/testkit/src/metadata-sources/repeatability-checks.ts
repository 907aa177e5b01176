import type { MetadataLookup } from '@cairn/kernel';
import { expect } from 'vitest';
import { describeError } from '../storage/assertions.js';
import type { MetadataSourceCheckGroup } from './metadata-source-check.js';
import {
  attemptLookup,
  lookupOrFail,
  subjectsOf,
  summarizeLookup,
  withoutCached,
} from './subject-lookups.js';

/** How many lookups the concurrency check starts at once. */
export const concurrentLookups = 8;

/** The catalog asks again after a refresh and asks many entries at once. */
export const repeatabilityChecks: MetadataSourceCheckGroup = {
  title: 'repeated and concurrent lookups',
  checks: [
    {
      title: 'gives the same answer when asked again (cached aside)',
      async run(fixture) {
        for (const { subject, label } of subjectsOf(fixture)) {
          const first = await lookupOrFail(fixture.source, subject, label);
          const second = await lookupOrFail(fixture.source, subject, `${label}, asked again,`);
          if (second.status !== first.status) {
            expect.fail(
              `${label}: the first lookup got ${summarizeLookup(first)}, the second ${summarizeLookup(second)}`,
            );
          }
          // Reasons may carry details that change (a request id); answers may not.
          if (first.status === 'found') {
            expect(
              withoutCached(second),
              `${label}: asked again, the source answers differently`,
            ).toEqual(withoutCached(first));
          }
        }
      },
    },
    {
      title: `answers ${concurrentLookups} concurrent lookups of the found subjects as it answers them one at a time`,
      async run(fixture) {
        const found = subjectsOf(fixture, ['found']);
        const sequential: MetadataLookup[] = [];
        for (const { subject, label } of found) {
          sequential.push(await lookupOrFail(fixture.source, subject, label));
        }
        const asked = Array.from({ length: concurrentLookups }, (_, index) => index % found.length);
        const attempts = await Promise.all(
          asked.map((which) => attemptLookup(fixture.source, found[which]?.subject ?? fail())),
        );
        attempts.forEach((attempt, index) => {
          const which = asked[index] ?? 0;
          const label = `concurrent lookup ${index + 1} of ${concurrentLookups}, ${found[which]?.label}`;
          if (attempt.settled === 'rejected') {
            expect.fail(
              `${label}: rejected with ${describeError(attempt.error)} while ${concurrentLookups} lookups ran at once`,
            );
          }
          expect(
            withoutCached(attempt.lookup),
            `${label}: answers differently from the same lookup made alone`,
          ).toEqual(withoutCached(sequential[which] ?? fail()));
        });
      },
    },
  ],
};

function fail(): never {
  throw new Error('[cairn] [testkit] internal error: a subject index is out of range');
}
