import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runManyVersionWriters, tsxWriterCommand } from '@cairn/testkit';
import { describe, expect, it } from 'vitest';
import { createFsStorage } from './index.js';
import { temporaryRoot } from './testing/temporary-root.js';
import type { WriterStorageDescription } from './testing/version-writer-child.js';

const packageDirectory = join(dirname(fileURLToPath(import.meta.url)), '..');
const childScript = join(packageDirectory, 'src', 'testing', 'version-writer-child.ts');

function writerCommand(description: WriterStorageDescription) {
  return tsxWriterCommand(childScript, description, { cwd: packageDirectory });
}

// Eight Node processes booting tsx on a small, busy machine take a while: a generous limit,
// not a timing assertion.
const processTestTimeoutMs = 300_000;

describe('many processes creating versions of one name', () => {
  it(
    '8 processes × 50 versions get 1…400, each exactly once, as each process reported',
    async () => {
      const root = await temporaryRoot();
      const outcome = await runManyVersionWriters({
        storage: createFsStorage({ root }),
        prefix: 'artifacts/shared-name/',
        writers: 8,
        versionsEach: 50,
        startWriter: writerCommand({ backend: 'fs', root }),
      });
      expect(outcome.problems).toEqual([]);
      expect(outcome.stored.map((entry) => entry.version)).toEqual(
        Array.from({ length: 400 }, (_, index) => index + 1),
      );
      expect(outcome.reports.flatMap((report) => report.versions)).toHaveLength(400);
    },
    processTestTimeoutMs,
  );

  it(
    'the check catches the lost and doubled versions of a store that ignores ifNoneMatch',
    async () => {
      const root = await temporaryRoot();
      // All writers start at one signal, so unconditional creates collide many times over.
      const outcome = await runManyVersionWriters({
        storage: createFsStorage({ root }),
        prefix: 'artifacts/shared-name/',
        writers: 8,
        versionsEach: 10,
        startWriter: writerCommand({ backend: 'fs', root, ignoreIfNoneMatch: true }),
      });
      expect(outcome.problems.some((problem) => problem.includes('was given to writer'))).toBe(
        true,
      );
      expect(outcome.problems.some((problem) => problem.includes('is not stored'))).toBe(true);
    },
    processTestTimeoutMs,
  );
});
