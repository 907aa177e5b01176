import { createMemoryStorage } from '@cairn/kernel';
import { describe, expect, it } from 'vitest';
import { ignoringConditionalCreates } from './unconditional-storage.js';
import {
  checkVersionHistory,
  readVersionHistory,
  type StoredVersion,
} from './version-history-check.js';
import { type VersionWriterReport, writeVersions } from './version-writer.js';

const prefix = 'many/';

/** Two writers, two versions each, interleaved as they would be after a real race. */
function rightHistory(): { stored: StoredVersion[]; reports: VersionWriterReport[] } {
  const order = [
    [0, 0],
    [1, 0],
    [1, 1],
    [0, 1],
  ] as const;
  const stored = order.map(([writer, iteration], index) => ({
    version: index + 1,
    writer,
    iteration,
    text: JSON.stringify({ writer, iteration }),
  }));
  const reports = [
    { writer: 0, versions: [1, 4], retries: 1 },
    { writer: 1, versions: [2, 3], retries: 0 },
  ];
  return { stored, reports };
}

function check(stored: StoredVersion[], reports: VersionWriterReport[]): string[] {
  return checkVersionHistory({ writers: 2, versionsEach: 2, stored, reports });
}

describe('checkVersionHistory', () => {
  it('finds nothing wrong with a right history', () => {
    const { stored, reports } = rightHistory();
    expect(check(stored, reports)).toEqual([]);
  });

  it('catches an overwrite: two writers given one number, one record lost', () => {
    // Writer 1's first record replaced writer 0's at v1, so only three versions exist.
    const stored = [
      { version: 1, writer: 1, iteration: 0, text: '' },
      { version: 2, writer: 1, iteration: 1, text: '' },
      { version: 3, writer: 0, iteration: 1, text: '' },
    ];
    const reports = [
      { writer: 0, versions: [1, 3], retries: 0 },
      { writer: 1, versions: [1, 2], retries: 0 },
    ];
    expect(check(stored, reports)).toEqual([
      'v4 is missing',
      'writer 0 iteration 0 is not stored (lost or overwritten)',
      'writer 0 iteration 0 got v1 but its record is not stored',
      'v1 was given to writer 0 and writer 1',
    ]);
  });

  it('catches a missing number, a stray number and a record stored twice', () => {
    const { stored, reports } = rightHistory();
    const broken = [
      stored[0],
      stored[2],
      stored[3],
      { version: 5, writer: 1, iteration: 1, text: '' },
    ] as StoredVersion[];
    expect(check(broken, reports)).toEqual(
      expect.arrayContaining([
        'v2 is missing',
        'v5 exists beyond v4',
        'writer 1 iteration 1 is stored twice: v3 and v5',
        'writer 1 iteration 0 got v2 but its record is not stored',
      ]),
    );
  });

  it('catches unreadable records and reports that disagree with the store', () => {
    const { stored } = rightHistory();
    const garbled = stored.map((entry) =>
      entry.version === 3 ? { ...entry, writer: undefined, text: 'garbage' } : entry,
    );
    const problems = check(garbled, [{ writer: 0, versions: [4, 1], retries: 0 }]);
    expect(problems).toEqual(
      expect.arrayContaining([
        'v3 names no valid writer and iteration: garbage',
        'writer 0 iteration 0 got v4 but its record is stored at v1',
        'writer 1 sent 0 reports, not 1',
      ]),
    );
  });
});

describe('writers on one store', () => {
  async function race(storage: ReturnType<typeof createMemoryStorage>, wrap = false) {
    const shared = wrap ? ignoringConditionalCreates(storage) : storage;
    const reports = await Promise.all(
      [0, 1, 2, 3].map((writer) => writeVersions(shared, { writer, prefix, versions: 5 })),
    );
    const stored = await readVersionHistory(storage, prefix);
    return checkVersionHistory({ writers: 4, versionsEach: 5, stored, reports });
  }

  it('leave a right history with conditional creates', async () => {
    expect(await race(createMemoryStorage())).toEqual([]);
  });

  it('are caught losing versions when the store ignores ifNoneMatch', async () => {
    const problems = await race(createMemoryStorage(), true);
    expect(problems.some((problem) => problem.includes('was given to writer'))).toBe(true);
    expect(problems.some((problem) => problem.includes('is not stored'))).toBe(true);
  });
});
