import type { MetadataAnswer, MetadataLookup, MetadataSource } from '@cairn/kernel';
import { CairnError } from '@cairn/kernel';
import { describe, expect, it } from 'vitest';
import {
  brokenSource,
  memorySourceApiKey,
  memorySourceFixture,
  metadataCheckTitled,
} from '../testing/memory-metadata-source.js';
import { cancellationChecks } from './cancellation-checks.js';
import { closeChecks } from './close-checks.js';
import { lookupOutcomeChecks } from './lookup-outcome-checks.js';
import type { MetadataSourceCheck } from './metadata-source-check.js';
import { nameChecks } from './name-checks.js';
import { repeatabilityChecks } from './repeatability-checks.js';
import { runMetadataSourceCheck } from './run-metadata-source-check.js';
import { secretChecks } from './secret-checks.js';
import { subjectChecks } from './subject-checks.js';

// Each case breaks the well-behaved memory source in one way a real source could be broken,
// and proves the check meant to catch that defect fails with a message naming it, while the
// same check passes on the healthy source. A suite that cannot fail proves nothing.

/** One way to break a source, and the check that must catch it. */
interface Breakage {
  readonly defect: string;
  readonly check: MetadataSourceCheck;
  readonly source: () => MetadataSource;
  /** What the failure says, so the check fails for this defect and not by accident. */
  readonly failure: RegExp;
}

/** A source whose found answers are changed by `change`. */
const changingAnswers = (change: (answer: MetadataAnswer) => unknown) =>
  brokenSource((inner) => ({
    async lookup(subject) {
      const lookup = await inner.lookup(subject);
      return lookup.status === 'found'
        ? ({ status: 'found', answer: change(lookup.answer) } as MetadataLookup)
        : lookup;
    },
  }));

/** A source whose not-found and unusable outcomes are changed by `change`. */
const changingMisses = (change: (lookup: MetadataLookup) => unknown) =>
  brokenSource((inner) => ({
    async lookup(subject) {
      const lookup = await inner.lookup(subject);
      return lookup.status === 'found' ? lookup : (change(lookup) as MetadataLookup);
    },
  }));

const found = (title: string) => metadataCheckTitled(lookupOutcomeChecks, title);

const breakages: Breakage[] = [
  {
    defect: 'has a display name instead of a short one',
    check: metadataCheckTitled(nameChecks, 'kebab-case'),
    source: () => brokenSource(() => ({ name: 'Memory Tracker' })),
    failure: /name is "Memory Tracker"; it must match/,
  },
  {
    defect: 'returns a NaN metric',
    check: found('well-formed answer'),
    source: () =>
      changingAnswers((answer) => ({
        ...answer,
        metrics: { ...answer.metrics, precision: Number.NaN },
      })),
    failure: /found\[0\].*metrics\.precision is the number NaN, not a finite number/,
  },
  {
    defect: 'returns an infinite metric',
    check: found('well-formed answer'),
    source: () => changingAnswers((answer) => ({ ...answer, metrics: { loss: -Infinity } })),
    failure: /metrics\.loss is the number -Infinity/,
  },
  {
    defect: 'puts a Date in the metadata',
    check: found('well-formed answer'),
    source: () =>
      changingAnswers((answer) => ({ ...answer, metadata: { trainedAt: new Date(0) } })),
    failure: /metadata\.trainedAt is a Date, not plain JSON/,
  },
  {
    defect: 'puts undefined deep in the metadata',
    check: found('well-formed answer'),
    source: () =>
      changingAnswers((answer) => ({ ...answer, metadata: { optimizer: { lr: undefined } } })),
    failure: /metadata\.optimizer\.lr is undefined, which JSON cannot hold/,
  },
  {
    defect: 'returns numbers as tags',
    check: found('well-formed answer'),
    source: () => changingAnswers((answer) => ({ ...answer, tags: [3] })),
    failure: /tags\[0\] is the number 3, not a string/,
  },
  {
    defect: 'gives createdAt in words',
    check: found('well-formed answer'),
    source: () => changingAnswers((answer) => ({ ...answer, createdAt: 'yesterday' })),
    failure: /createdAt is the string "yesterday", not an ISO 8601 date-time/,
  },
  {
    defect: "passes the tracker's own run state through",
    check: found('well-formed answer'),
    source: () => changingAnswers((answer) => ({ ...answer, run: { state: 'finished' } })),
    failure:
      /run\.state is the string "finished", not one of RUNNING, COMPLETED, FAILED, INTERRUPTED/,
  },
  {
    defect: 'gives a fractional epoch',
    check: found('well-formed answer'),
    source: () => changingAnswers((answer) => ({ ...answer, epoch: 2.5 })),
    failure: /epoch is the number 2\.5, not a non-negative integer/,
  },
  {
    defect: 'gives a negative training step',
    check: found('well-formed answer'),
    source: () => changingAnswers((answer) => ({ ...answer, trainingStep: -1 })),
    failure: /trainingStep is the number -1, not a non-negative integer/,
  },
  {
    defect: 'marks an answer cached without saying why',
    check: found('well-formed answer'),
    source: () =>
      changingAnswers((answer) => ({
        ...answer,
        cached: { fetchedAt: '2025-08-10T14:00:00.000Z' },
      })),
    failure: /cached\.reason is undefined, not one of fresh, offline, unreachable/,
  },
  {
    defect: 'answers not-found for a subject it knows',
    check: found('well-formed answer'),
    source: () =>
      brokenSource((inner) => ({
        lookup: async (subject) =>
          subject.record === undefined
            ? inner.lookup(subject)
            : { status: 'not-found', reason: 'no mapping' },
      })),
    failure: /found\[0\] \(id "train\/.*expected status "found", got status "not-found"/,
  },
  {
    defect: 'answers with the wrong metric',
    check: found('expected fields'),
    source: () => changingAnswers((answer) => ({ ...answer, metrics: { precision: 0.5 } })),
    failure: /found\[0\].*the answer has the expected fields/,
  },
  {
    defect: 'answers unusable for a subject it has nothing on',
    check: found('"not-found"'),
    source: () =>
      changingMisses((lookup) => ({ status: 'unusable', reason: `damaged: ${lookup.status}` })),
    failure: /notFound\[0\].*expected status "not-found", got status "unusable"/,
  },
  {
    defect: 'gives an empty reason',
    check: found('"not-found"'),
    source: () => changingMisses((lookup) => ({ status: lookup.status, reason: '  ' })),
    failure: /the "not-found" outcome has reason the string " {2}"; say why/,
  },
  {
    defect: 'throws for a subject it has nothing on',
    check: found('"not-found"'),
    source: () =>
      changingMisses(() => {
        throw new CairnError({ code: 'NOT_FOUND', message: 'no such run' });
      }),
    failure: /notFound\[0\].*the lookup rejected with CairnError NOT_FOUND/,
  },
  {
    defect: 'answers not-found for damaged data',
    check: found('"unusable"'),
    source: () =>
      changingMisses((lookup) => ({
        status: 'not-found',
        reason: 'reason' in lookup ? lookup.reason : '',
      })),
    failure: /unusable\[0\].*expected status "unusable", got status "not-found"/,
  },
  {
    defect: 'mutates the record it is given',
    check: metadataCheckTitled(subjectChecks, 'deep-frozen'),
    source: () =>
      brokenSource((inner) => ({
        lookup(subject) {
          if (subject.record !== undefined) (subject.record.tags as string[]).sort();
          return inner.lookup(subject);
        },
      })),
    failure: /found\[0\].*the lookup of a deep-frozen copy rejected with TypeError/,
  },
  {
    defect: 'sorts the tags of the record it is given, ignoring the error a frozen record throws',
    check: metadataCheckTitled(subjectChecks, 'unchanged'),
    source: () =>
      brokenSource((inner) => ({
        lookup(subject) {
          try {
            if (subject.record !== undefined) (subject.record.tags as string[]).sort();
          } catch {
            // A careless source that swallows its own mistake.
          }
          return inner.lookup(subject);
        },
      })),
    failure: /found\[0\].*the lookup changed the subject/,
  },
  {
    defect: 'replaces the storage of its subject',
    check: metadataCheckTitled(subjectChecks, 'unchanged'),
    source: () =>
      brokenSource((inner) => ({
        lookup(subject) {
          (subject as { storage: unknown }).storage = { ...subject.storage };
          return inner.lookup(subject);
        },
      })),
    failure: /the lookup replaced subject\.storage/,
  },
  {
    defect: 'answers differently on a second call',
    check: metadataCheckTitled(repeatabilityChecks, 'asked again'),
    source: () => {
      let asked = 0;
      return changingAnswers((answer) => {
        asked += 1;
        return { ...answer, metadata: { ...answer.metadata, asked } };
      });
    },
    failure: /found\[0\].*asked again, the source answers differently/,
  },
  {
    defect: 'mixes up subjects under concurrent lookups (one shared "current" slot)',
    check: metadataCheckTitled(repeatabilityChecks, 'concurrent'),
    source: () => {
      let current: Parameters<MetadataSource['lookup']>[0] | undefined;
      return brokenSource((inner) => ({
        async lookup(subject) {
          current = subject;
          await new Promise((resolve) => setImmediate(resolve));
          return inner.lookup(current ?? subject);
        },
      }));
    },
    failure:
      /concurrent lookup \d of 8, found\[0\].*answers differently from the same lookup made alone/,
  },
  {
    defect: 'fails when asked more than once at a time',
    check: metadataCheckTitled(repeatabilityChecks, 'concurrent'),
    source: () => {
      let running = 0;
      return brokenSource((inner) => ({
        async lookup(subject) {
          running += 1;
          try {
            if (running > 1) throw new CairnError({ code: 'TRANSIENT_IO', message: 'busy' });
            return await inner.lookup(subject);
          } finally {
            running -= 1;
          }
        },
      }));
    },
    failure: /rejected with CairnError TRANSIENT_IO: .*busy while 8 lookups ran at once/,
  },
  {
    defect: 'ignores an aborted signal',
    check: metadataCheckTitled(cancellationChecks, 'ABORTED'),
    source: () =>
      brokenSource((inner) => ({
        lookup: (subject) => inner.lookup({ ...subject, signal: undefined }),
      })),
    failure:
      /found\[0\].*with an already-aborted signal: resolved with status "found" instead of rejecting/,
  },
  {
    defect: 'ignores an aborted signal only when it has nothing to look up',
    check: metadataCheckTitled(cancellationChecks, 'ABORTED'),
    source: () =>
      brokenSource((inner) => ({
        async lookup(subject) {
          if (subject.payloadKey.endsWith('.safetensors'))
            return { status: 'not-found', reason: 'no tracker run' };
          return inner.lookup(subject);
        },
      })),
    failure: /notFound\[1\].*resolved with status "not-found"/,
  },
  {
    defect: "rethrows the signal's own AbortError",
    check: metadataCheckTitled(cancellationChecks, 'ABORTED'),
    source: () =>
      brokenSource((inner) => ({
        lookup(subject) {
          subject.signal?.throwIfAborted();
          return inner.lookup(subject);
        },
      })),
    failure:
      /rejected with Error: the conformance suite aborted this lookup instead of a CairnError ABORTED/,
  },
  {
    defect: 'keeps answering after close()',
    check: metadataCheckTitled(closeChecks, 'refuses'),
    source: () => brokenSource(() => ({ close: async () => undefined })),
    failure: /found\[0\].*after close\(\): resolved with status "found" instead of rejecting/,
  },
  {
    defect: 'refuses lookups after close() with a plain Error',
    check: metadataCheckTitled(closeChecks, 'refuses'),
    source: () => {
      let closed = false;
      return brokenSource((inner) => ({
        lookup: async (subject) => {
          if (closed) throw new Error('client destroyed');
          return inner.lookup(subject);
        },
        close: async () => {
          closed = true;
        },
      }));
    },
    failure: /after close\(\): rejected with Error: client destroyed instead of a CairnError/,
  },
  {
    defect: 'throws when closed twice',
    check: metadataCheckTitled(closeChecks, 'twice'),
    source: () => {
      let closed = false;
      return brokenSource(() => ({
        close: async () => {
          if (closed) throw new Error('already closed');
          closed = true;
        },
      }));
    },
    failure: /the second close\(\) rejected with Error: already closed/,
  },
  {
    defect: 'leaks its API key in the cause of an ABORTED error',
    check: metadataCheckTitled(secretChecks, 'secret'),
    source: () =>
      brokenSource((inner) => ({
        lookup(subject) {
          if (subject.signal?.aborted) {
            throw new CairnError({
              code: 'ABORTED',
              message: 'Looking up was aborted.',
              cause: new Error(`GET https://tracker.test/api?key=${memorySourceApiKey} aborted`),
            });
          }
          return inner.lookup(subject);
        },
      })),
    failure:
      /secrets\[0\] at error\.cause\.message of the lookup of found\[0\] .* with an aborted signal/,
  },
  {
    defect: 'leaks its API key in the origin URL of an answer',
    check: metadataCheckTitled(secretChecks, 'secret'),
    source: () =>
      changingAnswers((answer) => ({
        ...answer,
        origin: `https://tracker.test/runs/1?api_key=${memorySourceApiKey}`,
      })),
    failure: /secrets\[0\] at outcome\.answer\.origin of the lookup of found\[0\]/,
  },
  {
    defect: 'leaks its API key in a not-found reason',
    check: metadataCheckTitled(secretChecks, 'secret'),
    source: () =>
      changingMisses((lookup) => ({
        ...lookup,
        reason: `401 from https://${memorySourceApiKey}@tracker.test`,
      })),
    failure: /secrets\[0\] at outcome\.reason of the lookup of notFound\[0\]/,
  },
];

describe('the metadata-source conformance suite catches broken sources', () => {
  for (const { defect, check, source, failure } of breakages) {
    it(`a source that ${defect} fails "${check.title}"`, async () => {
      await expect(
        runMetadataSourceCheck(check, async () => memorySourceFixture()),
        'the healthy source passes',
      ).resolves.toEqual({ status: 'passed' });
      await expect(
        runMetadataSourceCheck(check, async () => memorySourceFixture(source())),
      ).rejects.toThrow(failure);
    });
  }
});
