import { expect } from 'vitest';
import { expectWellFormedLookup } from './answer-shape.js';
import type { MetadataSourceCheckGroup, MetadataSourceFixture } from './metadata-source-check.js';
import { lookupOrFail, type SubjectKind, subjectsOf, summarizeLookup } from './subject-lookups.js';

async function expectEveryOutcome(
  fixture: MetadataSourceFixture,
  kind: SubjectKind,
  status: 'found' | 'not-found' | 'unusable',
): Promise<void> {
  for (const { subject, label } of subjectsOf(fixture, [kind])) {
    const lookup = await lookupOrFail(fixture.source, subject, label);
    expectWellFormedLookup(lookup, label);
    if (lookup.status !== status) {
      expect.fail(`${label}: expected status "${status}", got ${summarizeLookup(lookup)}`);
    }
  }
}

/** Each list of subjects gets its own outcome, well-formed. */
export const lookupOutcomeChecks: MetadataSourceCheckGroup = {
  title: 'lookups',
  checks: [
    {
      title: 'answers "found" with a well-formed answer for every found subject',
      run: (fixture) => expectEveryOutcome(fixture, 'found', 'found'),
    },
    {
      title: 'gives the expected fields in each found answer',
      skipReason: (fixture) =>
        fixture.expected === undefined || fixture.expected.length === 0
          ? 'the fixture gives no expected answers'
          : undefined,
      async run(fixture) {
        const subjects = subjectsOf(fixture, ['found']);
        for (const [index, expected] of (fixture.expected ?? []).entries()) {
          const found = subjects[index];
          if (found === undefined) {
            expect.fail(
              `the fixture gives expected[${index}] but only ${subjects.length} found subject(s); expected[i] describes found[i]`,
            );
          }
          const lookup = await lookupOrFail(fixture.source, found.subject, found.label);
          if (lookup.status !== 'found') {
            expect.fail(`${found.label}: expected status "found", got ${summarizeLookup(lookup)}`);
          }
          expect(lookup.answer, `${found.label}: the answer has the expected fields`).toMatchObject(
            expected,
          );
        }
      },
    },
    {
      title: 'answers "not-found" with a reason for every notFound subject',
      run: (fixture) => expectEveryOutcome(fixture, 'notFound', 'not-found'),
    },
    {
      title: 'answers "unusable" with a reason for every unusable subject',
      skipReason: (fixture) =>
        (fixture.unusable ?? []).length === 0
          ? 'the fixture gives no unusable subjects'
          : undefined,
      run: (fixture) => expectEveryOutcome(fixture, 'unusable', 'unusable'),
    },
  ],
};
