import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { metadataSourceCheckGroups } from './metadata-source-checks.js';

// Runs describeMetadataSourceConformance the way a plugin author would, in a vitest child
// process, and reads its JSON report: which checks were registered, which were skipped and
// why, which failed, and how many fixtures were made and destroyed.

const run = promisify(execFile);
const packageDirectory = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const vitestEntry = join(
  dirname(createRequire(import.meta.url).resolve('vitest/package.json')),
  'vitest.mjs',
);

const checkCount = metadataSourceCheckGroups.reduce(
  (total, group) => total + group.checks.length,
  0,
);

function specSource(fixtureDirectory: string): string {
  const toSource = (path: string) =>
    relative(fixtureDirectory, join(packageDirectory, 'src', path)).replaceAll('\\', '/');
  return `
import { appendFileSync } from 'node:fs';
import { describeMetadataSourceConformance } from '${toSource('index.ts')}';
import { brokenSource, memorySourceFixture } from '${toSource('testing/memory-metadata-source.ts')}';

const log = (line) => appendFileSync(new URL('./fixtures.log', import.meta.url), line + '\\n');

describeMetadataSourceConformance({
  name: 'plain',
  async create() {
    log('create plain');
    const { expected, unusable, secrets, source, ...rest } = memorySourceFixture();
    return {
      ...rest,
      source: { name: source.name, lookup: (subject) => source.lookup(subject) },
      destroy: async () => log('destroy plain'),
    };
  },
});

describeMetadataSourceConformance({
  name: 'forgetful',
  async create() {
    return memorySourceFixture(
      brokenSource((inner) => ({ lookup: (subject) => inner.lookup({ ...subject, signal: undefined }) })),
    );
  },
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

describe('describeMetadataSourceConformance', () => {
  let fixtureDirectory = '';
  let results: AssertionResult[] = [];

  beforeAll(async () => {
    // Inside the package, so the spec resolves @cairn/kernel and vitest like a real one.
    fixtureDirectory = await mkdtemp(join(packageDirectory, '.metadata-conformance-fixture-'));
    await writeFile(join(fixtureDirectory, 'source.spec.ts'), specSource(fixtureDirectory));
    await writeFile(join(fixtureDirectory, 'vitest.config.ts'), configSource);
    const reportPath = join(fixtureDirectory, 'report.json');
    // The run fails on purpose (the "forgetful" suite), so a non-zero exit is expected.
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
    results.filter((result) =>
      result.fullName.startsWith(`metadata source conformance: ${suite} `),
    );

  it('registers one test per check, grouped by topic', () => {
    expect(of('plain').length).toBe(checkCount);
    expect(of('plain').map((result) => result.fullName)).toContain(
      'metadata source conformance: plain cancellation rejects with ABORTED when the signal is already aborted, for every subject',
    );
  });

  it('skips exactly the checks the fixture gives nothing for, and passes the rest', () => {
    const skipped = of('plain').filter((result) => result.status === 'skipped');
    expect(
      skipped
        .map((result) => result.fullName.replace('metadata source conformance: plain ', ''))
        .sort(),
    ).toEqual([
      'close can be closed twice',
      'close refuses lookups after close() with a CairnError',
      'lookups answers "unusable" with a reason for every unusable subject',
      'lookups gives the expected fields in each found answer',
      'secrets never shows a secret in its name, answers, reasons or errors (causes included)',
    ]);
    expect(of('plain').filter((result) => result.status === 'failed')).toEqual([]);
  });

  it('makes and destroys a fresh fixture for every check', async () => {
    const lines = (await readFile(join(fixtureDirectory, 'fixtures.log'), 'utf8'))
      .trim()
      .split('\n');
    expect(lines.filter((line) => line === 'create plain').length).toBe(checkCount);
    expect(lines.filter((line) => line === 'destroy plain').length).toBe(checkCount);
  });

  it('fails only the check a broken source breaks, saying what it did wrong', () => {
    const failed = of('forgetful').filter((result) => result.status === 'failed');
    expect(failed.map((result) => result.fullName)).toEqual([
      'metadata source conformance: forgetful cancellation rejects with ABORTED when the signal is already aborted, for every subject',
    ]);
    expect(failed[0]?.failureMessages.join('\n')).toContain(
      'with an already-aborted signal: resolved with status "found" instead of rejecting with a CairnError ABORTED',
    );
  });
});
