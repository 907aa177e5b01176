import { spawn } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ArchiveWriter } from './archive-writer.js';
import { requestHash } from './request-hash.js';
import { temporaryDirectory } from './testing/archive-fixtures.js';
import { type OpenAiTestServer, startOpenAiTestServer } from './testing/openai-test-server.js';
import { verifyArchive } from './verify-archive.js';

const packageDirectory = join(dirname(fileURLToPath(import.meta.url)), '..');
const childScript = join(packageDirectory, 'src', 'testing', 'crash-child.ts');
const trials = 50;
const callsPerRun = 1000;
let server: OpenAiTestServer;

beforeAll(async () => {
  server = await startOpenAiTestServer();
});
afterAll(async () => {
  await server.close();
});

interface ChildOutcome {
  readonly returned: number[];
  readonly replayed: number | undefined;
  readonly signal: NodeJS.Signals | null;
  readonly code: number | null;
  readonly errors: string;
}

/** Runs the child; `killAfterMs` after its first returned call, SIGKILLs it. */
function runChild(parameters: string[], killAfterMs?: number): Promise<ChildOutcome> {
  return new Promise((resolve) => {
    const child = spawn(
      process.execPath,
      ['--conditions=source', '--import', 'tsx', childScript, ...parameters],
      {
        cwd: packageDirectory,
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let stdout = '';
    let errors = '';
    let timer: NodeJS.Timeout | undefined;
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      if (killAfterMs !== undefined && timer === undefined && stdout.includes('returned ')) {
        timer = setTimeout(() => child.kill('SIGKILL'), killAfterMs);
      }
    });
    child.stderr.on('data', (chunk: Buffer) => {
      errors += chunk.toString();
    });
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      // Only whole lines count: a line cut by the kill was not seen by anyone.
      const lines = stdout.split('\n').slice(0, stdout.endsWith('\n') ? -1 : -1);
      const returned = lines
        .filter((line) => line.startsWith('returned '))
        .map((line) => Number(line.slice(9)));
      const done = lines.find((line) => line.startsWith('done '));
      resolve({
        returned,
        replayed: done === undefined ? undefined : Number(done.slice(5)),
        signal,
        code,
        errors,
      });
    });
  });
}

const requestOf = (call: number) => ({ messages: [{ role: 'user', content: `call ${call}` }] });

describe('an archive whose process is killed at a random moment', () => {
  it(`keeps every call the process saw returned, across ${trials} kills, and a resumed run replays them`, async () => {
    const summary: string[] = [];
    // Two trials at a time: the machine has two cores.
    const runTrial = async (trial: number) => {
      const directory = await temporaryDirectory();
      const run = `crash/20250810T1430${String(trial % 60).padStart(2, '0')}.000Z-${String(trial).padStart(6, '0')}`;
      const durability = (['fsync', 'batched', 'none'] as const)[trial % 3] as string;
      const concurrency = String(1 + (trial % 4));
      // Between 5 ms and about a second after the first answer: early, middle and late kills.
      const killAfterMs = 5 + Math.floor(Math.random() * 1000);
      const killed = await runChild(
        [directory, run, server.baseUrl, durability, String(callsPerRun), concurrency, 'false'],
        killAfterMs,
      );
      expect(killed.signal, `trial ${trial}: ${killed.errors}`).toBe('SIGKILL');

      // The chain verifies up to the last complete entry; only the tail may be torn.
      const verification = await verifyArchive(directory, run);
      if (!verification.ok)
        expect(
          verification.firstBad?.atEnd,
          `trial ${trial}: ${verification.firstBad?.reason}`,
        ).toBe(true);
      const writer = await ArchiveWriter.open(directory, run, 'fsync');
      const answered = new Set(
        writer.existing.filter((entry) => entry.status === 'ok').map((entry) => entry.requestHash),
      );
      await writer.close();
      expect((await verifyArchive(directory, run)).ok, `trial ${trial}`).toBe(true);
      const lost = killed.returned.filter(
        (call) => !answered.has(requestHash('gpt-4o-mini', requestOf(call))),
      );
      expect(lost, `trial ${trial} (${durability}): calls returned but not archived`).toEqual([]);

      // Resume: the answered calls are replayed, only the others reach the server.
      const highest = Math.max(-1, ...killed.returned);
      const resumeCalls = Math.min(callsPerRun, highest + 1 + 20);
      const sentBy = () => server.received.filter((request) => request.body.user === run).length;
      const before = sentBy();
      const resumed = await runChild([
        directory,
        run,
        server.baseUrl,
        durability,
        String(resumeCalls),
        concurrency,
        'true',
      ]);
      expect(resumed.code, `trial ${trial} resume: ${resumed.errors}`).toBe(0);
      const answeredInRange = [...Array(resumeCalls).keys()].filter((call) =>
        answered.has(requestHash('gpt-4o-mini', requestOf(call))),
      ).length;
      expect(resumed.replayed, `trial ${trial}`).toBe(answeredInRange);
      expect(sentBy() - before, `trial ${trial}: requests sent on resume`).toBe(
        resumeCalls - answeredInRange,
      );
      summary.push(
        `${durability}/${concurrency}: ${killed.returned.length} returned, ${answered.size} archived, ${answeredInRange} replayed`,
      );
    };
    for (let trial = 0; trial < trials; trial += 2) {
      await Promise.all([runTrial(trial), runTrial(trial + 1)]);
    }
    console.log(`[crash test] ${trials} kills:\n${summary.join('\n')}`);
    expect(summary).toHaveLength(trials);
  }, 900_000);
});
