import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

// Runs describeStorageConformance the way a plugin author would, in a vitest child process,
// and reads its JSON report: which tests ran, which were skipped for a missing capability,
// which failed, and whether the destroy hook and the additional tests were called.

const run = promisify(execFile);
const packageDirectory = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const vitestEntry = join(
  dirname(createRequire(import.meta.url).resolve('vitest/package.json')),
  'vitest.mjs',
);

const entryPoint = join(packageDirectory, 'src', 'index.ts');

function specSource(fixtureDirectory: string): string {
  const toEntry = relative(fixtureDirectory, entryPoint).replaceAll('\\', '/');
  return `
import { writeFileSync } from 'node:fs';
import { createMemoryStorage } from '@cairn/kernel';
import { expect, it } from 'vitest';
import { describeStorageConformance } from '${toEntry}';

describeStorageConformance({
  name: 'limited',
  create: () => ({
    ...createMemoryStorage(),
    capabilities: { conditionalWrites: false, rangedReads: false, sha256: true, atomicPut: true },
  }),
  destroy: (storage) => writeFileSync(new URL('./destroyed.txt', import.meta.url), storage.name),
  capabilities: { rangedReads: false, sha256: true },
  largeObjectBytes: 8 * 1024 * 1024,
  storesInMemory: true,
  additionalTests: (getStorage) => {
    it('reaches the storage under test', () => {
      expect(getStorage().name).toBe('memory');
    });
  },
});

describeStorageConformance({
  name: 'mistaken',
  create: () => createMemoryStorage(),
  capabilities: { rangedReads: false },
  largeObjectBytes: 8 * 1024 * 1024,
  storesInMemory: true,
});
`;
}

const configSource = `
import shared from '../../../vitest.shared.ts';
export default { ...shared, test: { ...shared.test, include: ['*.spec.ts'] } };
`;

interface AssertionResult {
  readonly fullName: string;
  readonly status: string;
  readonly failureMessages: readonly string[];
}

describe('describeStorageConformance', () => {
  let fixtureDirectory = '';
  let results: AssertionResult[] = [];

  beforeAll(async () => {
    // Inside the package, so the spec resolves @cairn/kernel and vitest like a real one.
    fixtureDirectory = await mkdtemp(join(packageDirectory, '.conformance-fixture-'));
    await writeFile(join(fixtureDirectory, 'storage.spec.ts'), specSource(fixtureDirectory));
    await writeFile(join(fixtureDirectory, 'vitest.config.ts'), configSource);
    const reportPath = join(fixtureDirectory, 'report.json');
    // The run fails on purpose (the "mistaken" suite), so a non-zero exit is expected.
    await run(
      process.execPath,
      [vitestEntry, 'run', '--reporter=json', `--outputFile=${reportPath}`],
      { cwd: fixtureDirectory, env: { ...process.env, CI: 'true' } },
    ).catch(() => undefined);
    const report = JSON.parse(await readFile(reportPath, 'utf8')) as {
      testResults: Array<{ assertionResults: AssertionResult[] }>;
    };
    results = report.testResults.flatMap((file) => file.assertionResults);
  }, 120_000);

  afterAll(async () => {
    if (fixtureDirectory !== '') await rm(fixtureDirectory, { recursive: true, force: true });
  });

  const of = (suite: string) =>
    results.filter((result) => result.fullName.startsWith(`storage conformance: ${suite} `));

  it('registers every check, and runs the additional tests inside the suite', () => {
    const limited = of('limited');
    expect(limited.length).toBeGreaterThan(40);
    expect(limited.map((result) => result.fullName)).toContain(
      'storage conformance: limited additional tests reaches the storage under test',
    );
  });

  it('skips exactly the checks whose capability the storage does not declare', () => {
    const skipped = of('limited').filter((result) => result.status === 'skipped');
    // The 8 conditional-write checks and the 3 ranged-read checks.
    expect(skipped.length).toBe(8 + 3);
    for (const result of skipped) {
      expect(result.fullName).toMatch(/ranged reads|conditional writes/);
    }
  });

  it('passes everything else on a storage that behaves like the memory backend', () => {
    const failed = of('limited').filter((result) => result.status === 'failed');
    expect(failed.map((result) => result.fullName)).toEqual([]);
  });

  it('fails a storage that does not declare the capabilities its author expects', () => {
    const failed = of('mistaken').filter((result) => result.status === 'failed');
    expect(failed.map((result) => result.fullName)).toEqual([
      'storage conformance: mistaken declares the expected capabilities {"rangedReads":false}',
    ]);
    expect(failed[0]?.failureMessages.join('\n')).toContain('capabilities.rangedReads');
  });

  it('calls destroy with the storage once the suite is done', async () => {
    expect(await readFile(join(fixtureDirectory, 'destroyed.txt'), 'utf8')).toBe('memory');
  });
});
