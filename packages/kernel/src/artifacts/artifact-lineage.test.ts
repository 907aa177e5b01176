import { describe, expect, it } from 'vitest';
import type { JournalEntry } from '../journal/journal-events.js';
import { lineageAncestors, lineageDescendants, lineagePath } from '../lineage/lineage-queries.js';
import { validateLineage } from '../lineage/validate-lineage.js';
import { startRun } from '../runs/start-run.js';
import { createMemoryStorage } from '../storage/memory-storage.js';
import type { Storage } from '../storage/storage.js';
import { quietRunOptions } from '../testing/quiet-run-options.js';
import { rejection } from '../testing/rejection.js';
import { versionKey } from '../versions/version-keys.js';
import { artifactKeys } from './artifact-layout.js';
import { createArtifactStore } from './create-artifact-store.js';

/** Logs dataset → sft → rft → ttrl → eval the way a pipeline would: each stage its own run. */
async function logPipeline(storage: Storage) {
  const entries: JournalEntry[] = [];
  const stage = async (pipeline: string) => {
    const run = await startRun({
      ...quietRunOptions(storage),
      pipeline,
      onEntry: (entry) => entries.push(entry),
    });
    return { run, artifacts: createArtifactStore({ storage, run }) };
  };
  const prepare = await stage('prepare');
  const dataset = await prepare.artifacts.log({
    name: 'dataset-gsm8k',
    type: 'dataset',
    value: ['1+1=2'],
  });
  await prepare.run.finish('COMPLETED');

  const models: Record<string, string> = {};
  let previous: string | undefined;
  for (const name of ['sft', 'rft', 'ttrl']) {
    const { run, artifacts } = await stage(name);
    await artifacts.use(previous ?? 'dataset-gsm8k');
    const model = await artifacts.log({
      name: `model-${name}`,
      type: 'model',
      value: { stage: name },
    });
    models[name] = model.reference;
    previous = model.reference;
    await run.finish('COMPLETED');
  }
  const evaluation = await stage('eval');
  await evaluation.artifacts.use('model-ttrl:latest');
  await evaluation.artifacts.use('dataset-gsm8k:v1');
  const result = await evaluation.artifacts.log({
    name: 'eval-ttrl-on-gsm8k',
    type: 'evaluation',
    value: { accuracy: 0.83 },
  });
  await evaluation.run.finish('FAILED', { reason: 'judge crashed after scoring' });
  return { dataset, models, result, entries, runs: { eval: evaluation.run.id } };
}

describe('lineage of logged artifacts', () => {
  it('records what each run used and logged, and traces the evaluation back to the dataset', async () => {
    const storage = createMemoryStorage();
    const { dataset, result, runs } = await logPipeline(storage);
    const artifacts = createArtifactStore({ storage });
    const evaluation = await artifacts.get(result.reference);
    expect(evaluation.run).toBe(runs.eval);
    // The run's inputs are the evaluation's parents.
    expect(evaluation.inputs).toEqual(['dataset-gsm8k:v1', 'model-ttrl:v1']);

    const graph = await artifacts.lineage();
    expect(validateLineage(graph)).toEqual([]);
    expect(graph.nodes).toHaveLength(10);
    const ancestors = lineageAncestors(graph, 'eval-ttrl-on-gsm8k:v1').map(({ node }) => node.id);
    expect(ancestors.filter((id) => !id.startsWith('run:'))).toEqual([
      'dataset-gsm8k:v1',
      'model-ttrl:v1',
      'model-rft:v1',
      'model-sft:v1',
    ]);
    expect(lineagePath(graph, dataset.reference, result.reference)).toEqual([
      'dataset-gsm8k:v1',
      `run:${runs.eval}`,
      'eval-ttrl-on-gsm8k:v1',
    ]);
    const evalRun = graph.nodes.find((node) => node.id === `run:${runs.eval}`);
    expect(evalRun).toMatchObject({
      kind: 'run',
      pipeline: 'eval',
      state: 'FAILED',
      reason: 'judge crashed after scoring',
    });
    const evalNode = graph.nodes.find((node) => node.id === 'eval-ttrl-on-gsm8k:v1');
    expect(evalNode).toMatchObject({
      type: 'evaluation',
      aliases: ['latest'],
      digest: result.digest,
    });
  });

  it('draws the graph around one artifact from storage, both ways, to a depth', async () => {
    const storage = createMemoryStorage();
    await logPipeline(storage);
    const artifacts = createArtifactStore({ storage });
    const around = await artifacts.lineage({ around: 'model-rft', depth: 2 });
    expect(
      around.nodes
        .map((node) => node.id)
        .filter((id) => !id.startsWith('run:'))
        .sort(),
    ).toEqual(['model-rft:v1', 'model-sft:v1', 'model-ttrl:v1']);
    const whole = await artifacts.lineage({ around: 'dataset-gsm8k:v1' });
    expect(
      lineageDescendants(whole, 'dataset-gsm8k:v1')
        .map(({ node }) => node.id)
        .filter((id) => !id.startsWith('run:')),
    ).toEqual([
      // Nearest first; the evaluation run's id sorts before the sft run's.
      'eval-ttrl-on-gsm8k:v1',
      'model-sft:v1',
      'model-rft:v1',
      'model-ttrl:v1',
    ]);
    expect((await rejection(artifacts.lineage({ around: 'model-none' }))).code).toBe('NOT_FOUND');
    expect(
      (await rejection(artifacts.lineage({ around: 'run:eval/20990101T000000.000Z-aaaaaa' }))).code,
    ).toBe('NOT_FOUND');
  });

  it('links explicit parents without a run, and tells the journal what a run logged and used', async () => {
    const storage = createMemoryStorage();
    const { entries } = await logPipeline(storage);
    const artifacts = createArtifactStore({ storage });
    const report = await artifacts.log({
      name: 'weekly',
      type: 'report',
      value: 'all good',
      parents: ['eval-ttrl-on-gsm8k', 'model-ttrl:latest'],
    });
    expect(report.record.parents).toEqual(['eval-ttrl-on-gsm8k:v1', 'model-ttrl:v1']);
    const graph = await artifacts.lineage({ around: 'model-sft' });
    expect(graph.edges).toContainEqual({ from: 'model-ttrl:v1', to: 'weekly:v1', kind: 'derived' });
    expect(lineageDescendants(graph, 'model-sft:v1').map(({ node }) => node.id)).toContain(
      'weekly:v1',
    );
    const custom = entries
      .map((entry) => entry.event)
      .filter((event) => event.type === 'custom')
      .map((event) =>
        event.type === 'custom'
          ? `${event.name} ${(event.data as { artifact: string }).artifact}`
          : '',
      );
    expect(custom).toContain('artifact-logged dataset-gsm8k:v1');
    expect(custom).toContain('artifact-used model-ttrl:v1');
    expect(custom).toContain('artifact-logged eval-ttrl-on-gsm8k:v1');
  });

  it('reports a deleted parent and an alias left dangling, and still draws the rest', async () => {
    const storage = createMemoryStorage();
    await logPipeline(storage);
    await storage.delete(versionKey(artifactKeys('model-rft').folder, 1));
    const graph = await createArtifactStore({ storage }).lineage();
    const issues = validateLineage(graph);
    expect(issues.map((issue) => issue.kind).sort()).toEqual(['dangling-alias', 'missing-node']);
    expect(issues.find((issue) => issue.kind === 'missing-node')).toMatchObject({
      node: 'model-rft:v1',
    });
    expect(issues.find((issue) => issue.kind === 'dangling-alias')).toMatchObject({
      name: 'model-rft',
      alias: 'latest',
      version: 1,
    });
    expect(lineageAncestors(graph, 'eval-ttrl-on-gsm8k:v1').map(({ node }) => node.id)).toContain(
      'model-sft:v1',
    );
  });
});

describe('lineage of content logged again', () => {
  it('shows the second run that logged identical content as producing the existing version', async () => {
    const storage = createMemoryStorage();
    const first = await startRun({ ...quietRunOptions(storage), pipeline: 'first' });
    await createArtifactStore({ storage, run: first }).log({
      name: 'report-a',
      type: 'report',
      value: 1,
    });
    await first.finish('COMPLETED');
    const second = await startRun({ ...quietRunOptions(storage), pipeline: 'second' });
    const again = await createArtifactStore({ storage, run: second }).log({
      name: 'report-a',
      type: 'report',
      value: 1,
    });
    await second.finish('COMPLETED');
    expect(again.created).toBe(false);
    const graph = await createArtifactStore({ storage }).lineage();
    expect(graph.edges).toContainEqual({
      from: `run:${first.id}`,
      to: 'report-a:v1',
      kind: 'produced',
    });
    expect(graph.edges).toContainEqual({
      from: `run:${second.id}`,
      to: 'report-a:v1',
      kind: 'produced',
    });
  });
});

describe('a run that reads back what it logged', () => {
  it('is not its own ancestor: no false cycle, and later outputs do not list it as an input', async () => {
    const storage = createMemoryStorage();
    const run = await startRun({ ...quietRunOptions(storage), pipeline: 'train' });
    const artifacts = createArtifactStore({ storage, run });
    await artifacts.log({ name: 'weekly', type: 'report', value: 'early' });
    await artifacts.log({ name: 'dataset-x', type: 'dataset', value: [1, 2] });
    await artifacts.use('dataset-x');
    const model = await artifacts.log({ name: 'model-a', type: 'model', value: 'weights' });
    await run.finish('COMPLETED');
    expect(model.record.inputs).toEqual([]);
    const graph = await createArtifactStore({ storage }).lineage();
    expect(validateLineage(graph)).toEqual([]);
    expect(lineageAncestors(graph, 'weekly:v1').map(({ node }) => node.id)).toEqual([
      `run:${run.id}`,
    ]);
  });
});
