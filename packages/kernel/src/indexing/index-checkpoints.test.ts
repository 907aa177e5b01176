import { text } from 'node:stream/consumers';
import { describe, expect, it } from 'vitest';
import { createCheckpointStore } from '../checkpoints/create-checkpoint-store.js';
import { isCairnError } from '../errors/cairn-error.js';
import { timeIdPattern } from '../naming/time-id.js';
import { createMemoryStorage } from '../storage/memory-storage.js';
import { collect } from '../testing/catalog-fixtures.js';
import { fixtureFiles, loadFixtureTree } from '../testing/indexing-fixtures.js';
import { indexCheckpoints } from './index-checkpoints.js';

const idShape = (step: string) => new RegExp(`^${step}/${timeIdPattern.source.slice(1, -1)}$`);

describe('indexCheckpoints on each kind of tree', () => {
  it('indexes a Lightning tree: one sidecar per .ckpt, listed with metadata and opened', async () => {
    const storage = await loadFixtureTree('lightning');
    const report = await indexCheckpoints({ storage, step: 'train' });
    expect(report.created.map((item) => item.payloadKey)).toEqual([
      'lightning_logs/version_0/checkpoints/epoch=0-step=100.ckpt',
      'lightning_logs/version_0/checkpoints/epoch=1-step=200.ckpt',
      'lightning_logs/version_1/checkpoints/epoch=0-step=50-val_loss=0.80-v1.ckpt',
      'lightning_logs/version_1/checkpoints/epoch=0-step=50-val_loss=0.80.ckpt',
      'lightning_logs/version_1/checkpoints/last.ckpt',
    ]);
    expect(report.skipped).toEqual([]);
    const store = createCheckpointStore({ storage });
    const listed = await collect(store.list());
    expect(listed).toHaveLength(5);
    const step200 = listed.find((record) => record.external?.key === report.created[1]?.payloadKey);
    expect(step200).toMatchObject({
      step: 'train',
      metrics: { val_acc: 0.88, val_loss: 0.44 },
      metadata: { epoch: 1, trainingStep: 200, hparams: { learning_rate: 0.001 } },
      tags: ['lightning'],
      indexed: {
        source: 'lightning',
        skipped: [],
        origin: 'lightning_logs/version_0/hparams.yaml',
      },
    });
    expect(step200?.id).toMatch(idShape('train'));
    expect(step200?.sha256).toBeUndefined();
    // Both checkpoints of version_0 belong to one run; version_1's to another.
    const runs = new Set(listed.map((record) => record.run));
    expect(runs.size).toBe(2);
    for (const run of runs) expect(run.startsWith('lightning_logs/')).toBe(true);

    const files = await fixtureFiles('lightning');
    const opened = await store.open({ id: step200?.id as string });
    expect(await text(opened.body)).toBe(
      files.get('lightning_logs/version_0/checkpoints/epoch=1-step=200.ckpt')?.toString(),
    );
  });

  it('indexes a Hydra run, with the config and the job as the run', async () => {
    const storage = await loadFixtureTree('hydra');
    const report = await indexCheckpoints({ storage });
    expect(report.created).toHaveLength(1);
    const [record] = await collect(createCheckpointStore({ storage }).list({ step: 'indexed' }));
    expect(record).toMatchObject({
      metadata: { config: { seed: 42 }, overrides: ['optimizer.lr=0.01', 'seed=42'] },
      tags: ['hydra'],
      indexed: {
        source: 'hydra',
        // The Lightning and legacy sources were asked first and said why they had nothing.
        skipped: [
          { source: 'lightning', reason: expect.stringContaining('not a Lightning .ckpt') },
          { source: 'legacy-pipeline', reason: expect.stringContaining('not a .pkl') },
        ],
      },
    });
    // The run's time is Hydra's folder time.
    expect(record?.run).toMatch(/^train_classifier\/20240501T123000\.000Z-/);
  });

  it('indexes a valid safetensors file and skips the damaged ones with every reason', async () => {
    const storage = await loadFixtureTree('safetensors');
    const report = await indexCheckpoints({ storage, step: 'models' });
    expect(report.created.map((item) => item.payloadKey)).toEqual(['model.safetensors']);
    expect(report.created[0]?.record).toMatchObject({
      metadata: { safetensors: { tensorCount: 4, parameterCount: 180 }, epoch: 3 },
    });
    expect(report.skipped.map((item) => item.payloadKey)).toEqual([
      'header-past-end.safetensors',
      'truncated-header.safetensors',
    ]);
    expect(report.skipped[0]?.reasons.map((reason) => reason.source)).toEqual([
      'lightning',
      'legacy-pipeline',
      'hydra',
      'safetensors',
    ]);
    expect(report.skipped[0]?.reasons[3]?.reason).toMatch(/runs past the end of the file/);
  });

  it('indexes the legacy layout under its step folders, without the backup twins', async () => {
    const storage = await loadFixtureTree('legacy');
    const report = await indexCheckpoints({ storage, step: 'ignored-for-legacy' });
    expect(
      report.created.map((item) => [item.record.step, item.payloadKey, item.record.createdAt]),
    ).toEqual([
      ['compress', 'compress/compress_20240501_123000.pkl', '2024-05-01T12:30:00.500Z'],
      ['compress', 'compress/compress_20240501_140000.pkl', '2024-05-01T14:00:00.000Z'],
      ['generate', 'generate/generate_20240501_120000.pkl', '2024-05-01T12:00:00.123Z'],
    ]);
    const generate = report.created[2]?.record;
    expect(generate?.id.startsWith('generate/20240501T120000.123Z-')).toBe(true);
    expect(generate?.metadata).toMatchObject({
      backupKey: 'generate/generate_20240501_120000_backup.pkl',
      verificationPassed: true,
    });
    // The run of the master file's run_id started at its earliest entry.
    expect(generate?.run).toMatch(/^legacy\/20240501T120000\.123Z-/);
    expect(report.created[0]?.record.run).toBe(generate?.run);
    const store = createCheckpointStore({ storage });
    expect(await collect(store.list({ step: 'generate' }))).toHaveLength(1);
    expect(await collect(store.list({ step: 'ignored-for-legacy' }))).toHaveLength(0);
  });

  it("indexes only under the prefix and leaves Cairn's own folders alone", async () => {
    const storage = await loadFixtureTree('lightning', createMemoryStorage(), 'team/');
    await loadFixtureTree('safetensors', storage, 'other/');
    const store = createCheckpointStore({ storage });
    await store.save({ run: 'research/20250101T000000.000Z-aaaaaa', step: 'generate', state: {} });
    await storage.put('checkpoints/generate/20250101T000000.000Z-aaaaaa/stray.pt', 'x');
    await storage.put('runs/research/20250101T000000.000Z-aaaaaa/model.pt', 'x');
    await storage.put('catalog/model.bin', 'x');
    await storage.put('checkpoint-shards/model.bin', 'x');
    // A project's own checkpoints/ folder of other files is not Cairn's.
    await storage.put('checkpoints/epoch=3-step=9.ckpt', 'x');
    const report = await indexCheckpoints({ storage, prefix: 'team/' });
    expect(report.created).toHaveLength(5);
    const all = await indexCheckpoints({ storage, dryRun: true });
    expect([...all.created, ...all.unchanged].map((item) => item.payloadKey).sort()).toEqual([
      'checkpoints/epoch=3-step=9.ckpt',
      'other/model.safetensors',
      ...report.created.map((item) => item.payloadKey),
    ]);
  });

  it('asks the given sources first, records a failing one and lets a remote answer win', async () => {
    const storage = await loadFixtureTree('safetensors');
    const failing = {
      name: 'flaky',
      lookup: async () => {
        throw new Error('connection reset');
      },
    };
    const remote = {
      name: 'tracker',
      lookup: async (subject: { payloadKey: string }) =>
        subject.payloadKey === 'model.safetensors'
          ? ({
              status: 'found',
              answer: {
                metadata: { project: 'demo' },
                metrics: { loss: 0.1, broken: Number.NaN },
                tags: ['remote', 'remote'],
                run: { id: 'abc', name: 'bright-sky-1', group: 'sweep 7' },
                createdAt: '2025-01-02T03:04:05.678Z',
                origin: 'https://tracker.example/runs/abc',
              },
            } as const)
          : ({ status: 'not-found', reason: 'no run logged this file' } as const),
    };
    const report = await indexCheckpoints({ storage, sources: [failing, remote] });
    const [model] = report.created;
    expect(model?.record).toMatchObject({
      id: expect.stringMatching(/^indexed\/20250102T030405\.678Z-/),
      run: expect.stringMatching(/^sweep_7\//),
      metrics: { loss: 0.1 },
      tags: ['remote'],
      metadata: { project: 'demo', sourceRun: { id: 'abc', group: 'sweep 7' } },
      indexed: {
        source: 'tracker',
        skipped: [{ source: 'flaky', reason: 'it failed: connection reset' }],
        origin: 'https://tracker.example/runs/abc',
      },
    });
    expect(report.skipped[0]?.reasons.map((reason) => reason.source)).toEqual([
      'flaky',
      'tracker',
      'lightning',
      'legacy-pipeline',
      'hydra',
      'safetensors',
    ]);
  });

  it('refuses bad options, naming each', async () => {
    const error = await indexCheckpoints({
      storage: {} as never,
      step: 'no spaces',
      dryRun: 'yes' as never,
    }).catch((caught: unknown) => caught);
    expect(isCairnError(error, 'INVALID_OPTIONS')).toBe(true);
    expect((error as Error).message).toMatch(/storage: expected a Storage/);
    expect((error as Error).message).toMatch(/step: expected a step name/);
    expect((error as Error).message).toMatch(/dryRun/);
  });
});
