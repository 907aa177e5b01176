import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  createCheckpointStore,
  createMemoryStorage,
  type JournalEntry,
  readJournal,
  readRun,
  verifyJournal,
} from '@cairn/kernel';
import { afterEach, describe, expect, it } from 'vitest';
import { candidateId } from './generate-candidates.js';
import { createResearchPipeline } from './research-pipeline.js';
import { createSimulatedLlm, type SimulatedCall } from './simulated-llm.js';

const temporaryDirectories: string[] = [];
afterEach(async () => {
  await Promise.all(
    temporaryDirectories.splice(0).map((path) => rm(path, { recursive: true, force: true })),
  );
});

async function reportsDirectory(): Promise<string> {
  const directory = await mkdtemp(join(tmpdir(), 'cairn-research-'));
  temporaryDirectories.push(directory);
  return join(directory, 'reports');
}

/** A fast simulated model with faults, recording every call. */
function model(onCall: (call: SimulatedCall) => void = () => {}) {
  const calls: SimulatedCall[] = [];
  const llm = createSimulatedLlm({
    seed: 11,
    latencyMs: 1,
    transientFailureRate: 0.3,
    refusedIds: new Set([candidateId(5)]),
    onCall: (call) => {
      calls.push(call);
      onCall(call);
    },
  });
  return { llm, calls };
}

const answered = (calls: readonly SimulatedCall[], operation: SimulatedCall['operation']) =>
  calls.filter((call) => call.operation === operation && call.outcome === 'answered');

const quiet = { environment: 0 as const, retry: { maxAttempts: 4, initialDelayMs: 1 } };

describe('the research pipeline', () => {
  it('runs the five steps: retries transient failures, records the refused item, writes the report', async () => {
    const storage = createMemoryStorage();
    const { llm, calls } = model();
    const directory = await reportsDirectory();
    const entries: JournalEntry[] = [];
    const pipeline = createResearchPipeline({
      model: llm,
      itemCount: 30,
      reportsDirectory: directory,
    });
    const result = await pipeline.run({
      storage,
      ...quiet,
      onEntry: (entry) => entries.push(entry),
    });

    expect(result.state).toBe('COMPLETED');
    expect(result.steps.map((step) => [step.step, step.outcome])).toEqual([
      ['generate_candidates', 'completed'],
      ['compress', 'completed'],
      ['evaluate', 'completed'],
      ['synthesise', 'completed'],
      ['report', 'completed'],
    ]);
    const { generate_candidates: generated, compress, evaluate, synthesise } = result.outputs;
    expect(generated?.requested).toBe(30);
    expect(generated?.candidates).toHaveLength(29);
    expect(generated?.failed).toEqual([
      expect.objectContaining({ step: 'generate_candidates', index: 5, id: candidateId(5) }),
    ]);
    // Low temperatures repeat themselves: compress has duplicates to merge.
    expect(compress?.duplicatesRemoved).toBeGreaterThan(0);
    expect(evaluate?.evaluations).toHaveLength(compress?.candidates.length ?? -1);
    expect(synthesise?.metrics).toMatchObject({ requested: 30, generated: 29, failed: 1 });

    // Transient failures happened and were retried; every item but the refused one was answered once.
    expect(entries.some(({ event }) => event.type === 'retry-scheduled')).toBe(true);
    expect(calls.some((call) => call.outcome === 'transient-failure')).toBe(true);
    const generatedIds = answered(calls, 'generate').map((call) => call.id);
    expect(new Set(generatedIds).size).toBe(generatedIds.length);
    expect(generatedIds).toHaveLength(29);
    expect(answered(calls, 'score')).toHaveLength(compress?.candidates.length ?? -1);

    expect(result.outputs.report).toBe(join(directory, `${result.run.replace('/', '-')}.md`));
    const report = await readFile(String(result.outputs.report), 'utf8');
    expect(report).toContain(`Run \`${result.run}\``);
    expect(report).toContain(`(${candidateId(5)}): [cairn] [simulated-llm] The model refused`);

    // The synthesis saved a checkpoint whose sidecar carries the metrics.
    const metricsCheckpoint = await createCheckpointStore({ storage }).get(
      String(synthesise?.metricsCheckpoint),
    );
    expect(metricsCheckpoint.metrics).toEqual(synthesise?.metrics);
    expect(metricsCheckpoint.tags).toEqual(['synthesis']);
  });

  it('interrupted during evaluate, resumes: earlier steps skipped, only the missing verdicts asked for', async () => {
    const storage = createMemoryStorage();
    const controller = new AbortController();
    let verdicts = 0;
    const first = model((call) => {
      if (call.operation === 'score' && call.outcome === 'answered' && ++verdicts === 6) {
        controller.abort(new Error('stop'));
      }
    });
    const directory = await reportsDirectory();
    const options = { itemCount: 24, reportsDirectory: directory };
    const interrupted = await createResearchPipeline({ ...options, model: first.llm }).run({
      storage,
      ...quiet,
      signal: controller.signal,
    });
    expect(interrupted.state).toBe('INTERRUPTED');
    expect(interrupted.steps.at(-1)).toMatchObject({ step: 'evaluate', outcome: 'interrupted' });
    const scoredFirst = new Set(answered(first.calls, 'score').map((call) => call.id));
    expect(scoredFirst.size).toBeGreaterThanOrEqual(6);

    const second = model();
    const resumed = await createResearchPipeline({ ...options, model: second.llm }).run({
      storage,
      ...quiet,
    });
    expect(resumed).toMatchObject({ run: interrupted.run, attempt: 2, state: 'COMPLETED' });
    expect(resumed.skipped.map((step) => step.step)).toEqual(['generate_candidates', 'compress']);
    expect(second.calls.filter((call) => call.operation === 'generate')).toEqual([]);
    const scoredSecond = answered(second.calls, 'score').map((call) => call.id);
    // No verdict paid for twice, none missing.
    for (const id of scoredSecond) expect(scoredFirst.has(id)).toBe(false);
    expect(new Set(scoredSecond).size).toBe(scoredSecond.length);
    const compressed = resumed.outputs.compress?.candidates.map((candidate) => candidate.id);
    expect([...scoredFirst, ...scoredSecond].sort()).toEqual([...(compressed ?? [])].sort());

    const record = (await readRun(storage, resumed.run))?.record;
    expect(record?.state).toBe('COMPLETED');
    const verification = await verifyJournal(storage, resumed.run, {
      ...(record?.journal ? { expectedHead: record.journal } : {}),
    });
    expect(verification.ok).toBe(true);
    let completedVerdicts = 0;
    for await (const { event } of readJournal(storage, resumed.run)) {
      if (event.type === 'item-completed' && event.step === 'evaluate') completedVerdicts += 1;
    }
    expect(completedVerdicts).toBe(compressed?.length);
  });
});
