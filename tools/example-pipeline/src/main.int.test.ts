import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  type JournalEvent,
  latestRun,
  type RunRecord,
  readJournal,
  type Storage,
  verifyJournal,
} from '@cairn/kernel';
import { createFsStorage } from '@cairn/storage-fs';
import { afterEach, describe, expect, it } from 'vitest';
import type { CallLogLine } from './call-log.js';
import { candidateId } from './generate-candidates.js';

const mainScript = join(dirname(fileURLToPath(import.meta.url)), 'main.ts');
const itemCount = 60;
const temporaryRoots: string[] = [];

afterEach(async () => {
  await Promise.all(
    temporaryRoots.splice(0).map((root) => rm(root, { recursive: true, force: true })),
  );
});

interface Started {
  readonly child: ChildProcess;
  readonly output: () => string;
  readonly exit: Promise<number | null>;
}

/**
 * Starts the example as a user would, but on a temporary root, through tsx on the sources. The
 * latency leaves each map step a second or more, so a signal sent once a progress line shows
 * lands while that step is still working.
 */
function start(root: string): Started {
  const child = spawn(process.execPath, ['--conditions=source', '--import', 'tsx', mainScript], {
    env: {
      ...process.env,
      CAIRN_EXAMPLE_ROOT: root,
      CAIRN_EXAMPLE_ITEMS: String(itemCount),
      CAIRN_EXAMPLE_LATENCY_MS: '100',
      CAIRN_EXAMPLE_CALL_LOG: join(root, 'calls.jsonl'),
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let text = '';
  child.stdout?.on('data', (chunk) => {
    text += String(chunk);
  });
  child.stderr?.on('data', (chunk) => {
    text += String(chunk);
  });
  const exit = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, output: () => text, exit };
}

async function waitFor(started: Started, pattern: RegExp, what: string): Promise<void> {
  let exited = false;
  void started.exit.then(() => {
    exited = true;
  });
  for (let waited = 0; waited < 60_000; waited += 25) {
    if (pattern.test(started.output())) return;
    if (exited) break;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  throw new Error(`no ${what} (${pattern}) in the output:\n${started.output()}`);
}

async function temporaryRoot(): Promise<string> {
  const root = await mkdtemp(join(tmpdir(), 'cairn-example-'));
  temporaryRoots.push(root);
  return root;
}

function callLog(root: string): CallLogLine[] {
  const path = join(root, 'calls.jsonl');
  if (!existsSync(path)) return [];
  return readFileSync(path, 'utf8')
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => JSON.parse(line) as CallLogLine);
}

async function latestRecord(storage: Storage): Promise<RunRecord> {
  const record = (await latestRun(storage, 'research'))?.record;
  if (record === undefined) throw new Error('the example stored no run');
  return record;
}

async function journalEvents(storage: Storage, run: string): Promise<JournalEvent[]> {
  const events: JournalEvent[] = [];
  for await (const entry of readJournal(storage, run)) events.push(entry.event);
  return events;
}

const answered = (calls: readonly CallLogLine[], operation: CallLogLine['operation']) =>
  calls.filter((call) => call.operation === operation && call.outcome === 'answered');

describe('the example pipeline as a process', () => {
  it('stops on SIGINT with 130 keeping finished work; reruns skip done steps, pay for no answer twice, then retry only the failed item', async () => {
    const root = await temporaryRoot();
    const storage = createFsStorage({ root: join(root, 'primary') });

    const first = start(root);
    await waitFor(first, /^ {2}evaluate: \d+\/\d+ items/m, 'evaluate progress');
    first.child.kill('SIGINT');
    expect(await first.exit, first.output()).toBe(130);
    expect(first.output()).toMatch(
      /Run research\/\S+ interrupted \(SIGINT\); run again to resume\./,
    );
    expect(first.output()).not.toMatch(/^Report: /m);

    const interrupted = await latestRecord(storage);
    expect(interrupted).toMatchObject({ state: 'INTERRUPTED', reason: 'SIGINT', attempt: 1 });
    expect(interrupted.steps.map((step) => [step.name, step.state])).toEqual([
      ['generate_candidates', 'COMPLETED'],
      ['compress', 'COMPLETED'],
      ['evaluate', 'INTERRUPTED'],
    ]);
    const callsBefore = callLog(root);
    const scoredBefore = new Set(answered(callsBefore, 'score').map((call) => call.id));
    expect(scoredBefore.size).toBeGreaterThan(0);

    const second = start(root);
    expect(await second.exit, second.output()).toBe(0);
    const output = second.output();
    expect(output).toContain('Continuing the run (attempt 2).');
    expect(output).toMatch(/^Skipped generate_candidates: completed earlier/m);
    expect(output).toMatch(/^Skipped compress: completed earlier/m);
    expect(output).toContain(`  evaluate: `);
    expect(output).toContain(`already stored by an earlier attempt`);
    const reportLines = output.split('\n').filter((line) => line.startsWith('Report: '));
    expect(reportLines).toHaveLength(1);
    const reportPath = reportLines[0]?.slice('Report: '.length) ?? '';
    expect(dirname(reportPath)).toBe(join(root, 'reports'));
    expect(await readFile(reportPath, 'utf8')).toContain('# Research report');

    const record = await latestRecord(storage);
    expect(record).toMatchObject({ id: interrupted.id, state: 'COMPLETED', attempt: 2 });
    const verification = await verifyJournal(storage, record.id, {
      ...(record.journal ? { expectedHead: record.journal } : {}),
    });
    expect(verification.problems).toEqual([]);
    expect(verification.ok).toBe(true);

    // The model's own log: every answer was paid for exactly once over both runs.
    const calls = callLog(root);
    const callsAfter = calls.slice(callsBefore.length);
    expect(callsAfter.filter((call) => call.operation === 'generate')).toEqual([]);
    for (const call of answered(callsAfter, 'score')) expect(scoredBefore.has(call.id)).toBe(false);
    const generated = answered(calls, 'generate').map((call) => call.id);
    const expectedGenerated = Array.from({ length: itemCount }, (_, index) => candidateId(index));
    expect([...generated].sort()).toEqual(expectedGenerated.filter((id) => id !== candidateId(13)));
    const refused = calls.filter((call) => call.outcome === 'refused').map((call) => call.id);
    expect(new Set(refused)).toEqual(new Set([candidateId(13)]));
    const scored = answered(calls, 'score').map((call) => call.id);
    expect(new Set(scored).size).toBe(scored.length);

    // The journal agrees: each item completed once across both attempts, and none is missing.
    const events = await journalEvents(storage, record.id);
    const completions = new Map<string, number>();
    for (const event of events) {
      if (event.type !== 'item-completed') continue;
      const item = `${event.step}#${event.item}`;
      completions.set(item, (completions.get(item) ?? 0) + 1);
    }
    expect([...completions.values()].every((count) => count === 1)).toBe(true);
    const stepTotals = new Map(
      events.flatMap((event) =>
        event.type === 'step-completed' && event.items ? [[event.step, event.items]] : [],
      ),
    );
    expect(stepTotals.get('generate_candidates')).toEqual({
      done: itemCount - 1,
      failed: 1,
      total: itemCount,
    });
    const evaluated = stepTotals.get('evaluate');
    expect(evaluated).toEqual({ done: scored.length, failed: 0, total: scored.length });
    const completedSteps = (step: string) =>
      [...completions.keys()].filter((item) => item.startsWith(`${step}#`)).length;
    expect(completedSteps('generate_candidates')).toBe(itemCount - 1);
    expect(completedSteps('evaluate')).toBe(scored.length);

    // The run completed with the refused item failed: the next command continues it, asks the
    // model again for that item only, and reuses every stored verdict.
    const third = start(root);
    expect(await third.exit, third.output()).toBe(0);
    expect(third.output()).toContain('Continuing the run (attempt 3).');
    expect(third.output()).toMatch(/^Report: /m);
    const callsThird = callLog(root).slice(calls.length);
    expect(callsThird.map((call) => [call.operation, call.id, call.outcome])).toEqual([
      ['generate', candidateId(13), 'refused'],
    ]);
    expect(await latestRecord(storage)).toMatchObject({
      id: record.id,
      state: 'COMPLETED',
      attempt: 3,
    });
  });

  it('stops on SIGTERM with 143 and marks the run interrupted', async () => {
    const root = await temporaryRoot();
    const started = start(root);
    await waitFor(started, /^ {2}generate_candidates: \d+\/\d+ items/m, 'generation progress');
    started.child.kill('SIGTERM');
    expect(await started.exit, started.output()).toBe(143);
    expect(started.output()).toMatch(/interrupted \(SIGTERM\)/);

    const storage = createFsStorage({ root: join(root, 'primary') });
    const record = await latestRecord(storage);
    expect(record).toMatchObject({ state: 'INTERRUPTED', reason: 'SIGTERM' });
    expect(record.steps.map((step) => [step.name, step.state])).toEqual([
      ['generate_candidates', 'INTERRUPTED'],
    ]);
    const verification = await verifyJournal(storage, record.id, {
      ...(record.journal ? { expectedHead: record.journal } : {}),
    });
    expect(verification.ok).toBe(true);
  });
});
