import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ChildScripts, prepareChildScripts } from './testing/checkpoint-child-process.js';
import {
  crashScriptNames,
  describeSummary,
  runCrashTrials,
} from './testing/checkpoint-crash-harness.js';
import { temporaryRoot } from './testing/temporary-root.js';

// The crash harness of issue 3: a writer process saves checkpoints in a loop on storage-fs
// (fsync on) and is SIGKILLed at random moments; after each kill a separate verifier process,
// with a fresh storage and store, checks that the latest checkpoint verifies, is no older than
// the last save acknowledged and is exactly what was saved. CAIRN_CRASH_TRIALS sets the number
// of kills (default 200), CAIRN_CRASH_SEED replays the kill delays of a failed run.

const trials = Number(process.env.CAIRN_CRASH_TRIALS ?? 200);
const seed = Number(process.env.CAIRN_CRASH_SEED ?? Math.floor(Math.random() * 2 ** 31));

let scripts: ChildScripts;

beforeAll(async () => {
  scripts = await prepareChildScripts(crashScriptNames);
});

afterAll(async () => {
  await scripts?.dispose();
});

describe('checkpoints survive SIGKILL at random moments', () => {
  it(
    `${trials} kills of a saving process: the latest checkpoint always verifies and is never older than an acknowledged save`,
    async () => {
      expect(Number.isSafeInteger(trials) && trials > 0, 'CAIRN_CRASH_TRIALS').toBe(true);
      const root = await temporaryRoot('cairn-checkpoint-crash-');
      const summary = await runCrashTrials({
        root,
        trials,
        seed,
        scripts,
        log: (line) => console.log(`[crash harness] ${line}`),
      });
      console.log(`[crash harness] ${describeSummary(summary)}`);
      expect(summary.failures, `seed ${seed}`).toEqual([]);
      expect(summary.trials).toBe(trials);
      // The kills must have hit saves, not only idle moments, for the run to mean anything.
      expect(summary.acknowledged).toBeGreaterThanOrEqual(trials / 4);
      expect(summary.phases['mid-save-uncommitted']).toBeGreaterThan(0);
    },
    15 * 60_000,
  );
});

describe('the crash harness catches broken storage (self-check)', () => {
  it('fails when the storage acknowledges a commit before it is written', async () => {
    const root = await temporaryRoot('cairn-checkpoint-crash-self-check-');
    const summary = await runCrashTrials({
      root,
      trials: 30,
      seed,
      scripts,
      fault: 'ack-before-durable',
      // Long enough for saves to be acknowledged, so a kill can lose one of them.
      maxDelayMs: 600,
      stopAtFirstFailure: true,
    });
    console.log(`[crash harness self-check] ${describeSummary(summary)}`);
    const problems = summary.failures.flatMap((failure) => failure.problems);
    expect(problems.join('\n')).toMatch(/acknowledged/);
  }, 120_000);

  it('fails when the storage tears payloads behind a cache that hides it', async () => {
    const root = await temporaryRoot('cairn-checkpoint-crash-self-check-');
    const summary = await runCrashTrials({
      root,
      trials: 10,
      seed,
      scripts,
      fault: 'lying-cache',
      maxDelayMs: 400,
      stopAtFirstFailure: true,
    });
    console.log(`[crash harness self-check] ${describeSummary(summary)}`);
    expect(summary.failures.length).toBe(1);
    const problems = summary.failures.flatMap((failure) => failure.problems).join('\n');
    expect(problems).toMatch(/did not load: CORRUPT_DATA/);
    expect(problems).toMatch(/on disk: the payload of train\/\S+ has \d+ bytes/);
  }, 120_000);
});
