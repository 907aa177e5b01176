import { describe, expect, it } from 'vitest';
import {
  judgeTrial,
  type LoadedFacts,
  type VerifierReport,
} from './testing/checkpoint-crash-report.js';
import {
  describePayload,
  expectedBody,
  expectedState,
  fillerBytes,
  maximumPayloadBytes,
  minimumPayloadBytes,
  payloadKind,
} from './testing/checkpoint-payloads.js';

// The crash harness is only as good as its checks: each must fail on the damage it is for.

function loaded(counter: number, overrides: Partial<LoadedFacts> = {}): LoadedFacts {
  return {
    id: `train/id-${String(counter).padStart(4, '0')}`,
    counter,
    metadataCounter: counter,
    matches: true,
    digestMatches: true,
    ...overrides,
  };
}

/** A verification where checkpoints `counters` are committed and the last one is the latest. */
function healthy(counters: readonly number[]): VerifierReport {
  const last = counters.at(-1);
  return {
    ...(last === undefined ? {} : { latestId: loaded(last).id, latest: loaded(last) }),
    listed: counters.map((counter) => loaded(counter)),
    disk: { sidecars: counters.length, orphanPayloads: 0, problems: [] },
    leftovers: [],
    emptyLocks: 0,
    pruned: 0,
  };
}

const acked = (counter: number) => ({ counter, id: loaded(counter).id });

describe('judgeTrial', () => {
  it('accepts a latest checkpoint at or after the last acknowledged save', () => {
    expect(judgeTrial(healthy([1, 2, 3]), { lastAcked: acked(3), lastAttempted: 4 })).toEqual([]);
    // Killed after the commit of 4, before its acknowledgement.
    expect(judgeTrial(healthy([1, 2, 3, 4]), { lastAcked: acked(3), lastAttempted: 4 })).toEqual(
      [],
    );
    expect(judgeTrial(healthy([]), { lastAttempted: 1 })).toEqual([]);
  });

  it('fails when an acknowledged save is lost', () => {
    const problems = judgeTrial(healthy([1, 2]), { lastAcked: acked(3), lastAttempted: 4 });
    expect(problems).toContainEqual(expect.stringMatching(/older than 3, which was acknowledged/));
    expect(problems).toContainEqual(
      expect.stringMatching(/acknowledged checkpoint .* is not listed/),
    );
    expect(judgeTrial(healthy([]), { lastAcked: acked(1), lastAttempted: 1 })).toEqual([
      expect.stringMatching(/no checkpoint found, but 1/),
      expect.stringMatching(/is not listed as committed/),
    ]);
  });

  it('fails on a checkpoint newer than any save begun', () => {
    expect(judgeTrial(healthy([1, 2, 5]), { lastAcked: acked(2), lastAttempted: 3 })).toEqual([
      expect.stringMatching(/no writer began a save past 3/),
    ]);
  });

  it('fails on a partial or foreign payload, a digest mismatch or a mislabelled one', () => {
    const report = healthy([1, 2]);
    const torn = {
      ...report,
      latest: loaded(2, { matches: false, reason: 'the body of 2 has 10 bytes, expected 20' }),
    };
    expect(judgeTrial(torn, { lastAcked: acked(2), lastAttempted: 2 })).toEqual([
      expect.stringMatching(/is not the payload saved: the body of 2 has 10 bytes/),
    ]);
    const unhashed = { ...report, latest: loaded(2, { digestMatches: false }) };
    expect(judgeTrial(unhashed, { lastAcked: acked(2), lastAttempted: 2 })).toEqual([
      expect.stringMatching(/does not hash to its sidecar's SHA-256/),
    ]);
    const mislabelled = { ...report, latest: loaded(2, { metadataCounter: 1 }) };
    expect(judgeTrial(mislabelled, { lastAcked: acked(2), lastAttempted: 2 })).toEqual([
      expect.stringMatching(/holds counter 2 but its sidecar says 1/),
    ]);
  });

  it('fails when the latest or a listed checkpoint does not load', () => {
    const report = healthy([1, 2]);
    const failedLatest = {
      ...report,
      latest: { error: { code: 'CORRUPT_DATA', message: 'bad bytes' } },
    };
    expect(judgeTrial(failedLatest, { lastAcked: acked(2), lastAttempted: 2 })).toEqual([
      expect.stringMatching(/latest checkpoint\s+did not load: CORRUPT_DATA: bad bytes/),
    ]);
    const failedListed = {
      ...report,
      listed: [{ id: 'train/x', error: { code: 'CORRUPT_DATA', message: 'lost' } }, loaded(2)],
    };
    expect(judgeTrial(failedListed, { lastAcked: acked(2), lastAttempted: 2 })).toEqual([
      expect.stringMatching(/listed checkpoint train\/x did not load/),
    ]);
  });

  it('fails when listing and latest disagree, or listed checkpoints are out of order', () => {
    const report = healthy([1, 2, 3]);
    expect(
      judgeTrial({ ...report, latestId: loaded(2).id }, { lastAcked: acked(3), lastAttempted: 3 }),
    ).toEqual([expect.stringMatching(/latest\(\) says train\/id-0002/)]);
    expect(
      judgeTrial(
        { ...report, listed: [loaded(2), loaded(1), loaded(3)] },
        { lastAcked: acked(3), lastAttempted: 3 },
      ),
    ).toEqual([expect.stringMatching(/\(1\) is not newer than 2/)]);
    expect(
      judgeTrial(
        { ...report, listed: [loaded(1), loaded(2)] },
        { lastAcked: acked(2), lastAttempted: 3 },
      ),
    ).toEqual([expect.stringMatching(/newest listed checkpoint train\/id-0002 is not the latest/)]);
  });

  it('fails on disk problems, leftovers and verification errors', () => {
    const report: VerifierReport = {
      ...healthy([1]),
      disk: {
        sidecars: 1,
        orphanPayloads: 0,
        problems: ['the sidecar of train/x has no payload file'],
      },
      leftovers: ['1234-abcdef'],
      error: { code: 'TRANSIENT_IO', message: 'listing failed' },
    };
    expect(judgeTrial(report, { lastAcked: acked(1), lastAttempted: 1 })).toEqual([
      'verification failed: TRANSIENT_IO: listing failed',
      'on disk: the sidecar of train/x has no payload file',
      'left in the temporary folders: 1234-abcdef',
    ]);
  });
});

describe('crash payloads', () => {
  it('are deterministic, 1 KiB to 512 KiB, and both kinds occur', () => {
    const sizes = Array.from({ length: 300 }, (_, index) => fillerBytes(index + 1));
    expect(Math.min(...sizes)).toBeGreaterThanOrEqual(minimumPayloadBytes);
    expect(Math.max(...sizes)).toBeLessThanOrEqual(maximumPayloadBytes);
    expect(sizes.filter((size) => size < 16 * 1024).length).toBeGreaterThan(50);
    expect(sizes.filter((size) => size > 128 * 1024).length).toBeGreaterThan(50);
    expect(expectedBody(7).equals(expectedBody(7))).toBe(true);
    expect(new Set([1, 2, 3].map(payloadKind))).toEqual(new Set(['state', 'body']));
  });

  it('describePayload accepts exactly the saved content and names the counter', () => {
    expect(describePayload('json', expectedState(4))).toEqual({ counter: 4, matches: true });
    expect(describePayload('raw', expectedBody(6))).toEqual({ counter: 6, matches: true });
  });

  it('describePayload rejects truncated, bit-flipped, mixed and unlabelled content', () => {
    const body = expectedBody(9);
    expect(describePayload('raw', body.subarray(0, body.length - 1))).toMatchObject({
      counter: 9,
      matches: false,
      reason: expect.stringMatching(/has \d+ bytes, expected/),
    });
    const flipped = Buffer.from(body);
    flipped[flipped.length - 100] = (flipped[flipped.length - 100] ?? 0) ^ 0x01;
    expect(describePayload('raw', flipped)).toMatchObject({
      matches: false,
      reason: expect.stringMatching(/bytes that differ/),
    });
    const state = expectedState(5);
    expect(describePayload('json', { ...state, filler: state.filler.slice(0, -1) })).toMatchObject({
      counter: 5,
      matches: false,
    });
    // The right counter with another checkpoint's filler.
    expect(describePayload('json', { counter: 5, filler: expectedState(8).filler })).toMatchObject({
      matches: false,
    });
    expect(describePayload('raw', Buffer.from('no header'))).toEqual({
      matches: false,
      reason: 'the body has no counter header',
    });
    expect(describePayload('json', { filler: 'x' })).toMatchObject({ matches: false });
    expect(describePayload('json', Buffer.from('x'))).toMatchObject({ matches: false });
    expect(describePayload('msgpack', {})).toMatchObject({ matches: false });
  });
});
