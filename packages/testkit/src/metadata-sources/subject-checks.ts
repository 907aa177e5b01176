import { expect } from 'vitest';
import { describeError } from '../storage/assertions.js';
import { frozenCopyOfSubject, subjectSnapshot } from './frozen-subject.js';
import type { MetadataSourceCheckGroup } from './metadata-source-check.js';
import {
  attemptLookup,
  lookupOrFail,
  subjectsOf,
  summarizeLookup,
  withoutCached,
} from './subject-lookups.js';

/** A lookup must not change what it is asked about: the catalog reuses subjects and records. */
export const subjectChecks: MetadataSourceCheckGroup = {
  title: 'the subject',
  checks: [
    {
      title: 'answers a deep-frozen subject as it answers the original',
      async run(fixture) {
        for (const { subject, label } of subjectsOf(fixture)) {
          // The frozen copy is taken before any lookup, so a source that mutates the original
          // cannot change what the copy holds.
          const frozen = frozenCopyOfSubject(subject);
          const attempt = await attemptLookup(fixture.source, frozen);
          if (attempt.settled === 'rejected') {
            expect.fail(
              `${label}: the lookup of a deep-frozen copy rejected with ${describeError(attempt.error)}; the source must not assign to its subject or the record in it`,
            );
          }
          const original = await lookupOrFail(fixture.source, subject, label);
          if (attempt.lookup.status !== original.status) {
            expect.fail(
              `${label}: a deep-frozen copy got ${summarizeLookup(attempt.lookup)}, the original ${summarizeLookup(original)}`,
            );
          }
          expect(
            withoutCached(attempt.lookup),
            `${label}: a deep-frozen copy gets the same answer as the original`,
          ).toEqual(withoutCached(original));
        }
      },
    },
    {
      title: 'leaves the subject and its record unchanged',
      async run(fixture) {
        for (const { subject, label } of subjectsOf(fixture)) {
          const before = subjectSnapshot(subject);
          const { storage, signal } = subject;
          await lookupOrFail(fixture.source, subject, label);
          expect(
            JSON.parse(subjectSnapshot(subject)),
            `${label}: the lookup changed the subject (its id, payloadKey or record)`,
          ).toStrictEqual(JSON.parse(before));
          expect(subject.storage, `${label}: the lookup replaced subject.storage`).toBe(storage);
          expect(subject.signal, `${label}: the lookup replaced subject.signal`).toBe(signal);
        }
      },
    },
  ],
};
