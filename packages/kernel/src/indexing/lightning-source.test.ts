import { describe, expect, it } from 'vitest';
import { createMemoryStorage } from '../storage/memory-storage.js';
import { loadFixtureTree, subjectOf } from '../testing/indexing-fixtures.js';
import { parseLightningCheckpointName } from './lightning-checkpoint-name.js';
import { createLightningSource } from './lightning-source.js';

const version0 = 'lightning_logs/version_0/';
const version1 = 'lightning_logs/version_1/';

describe('parseLightningCheckpointName', () => {
  it('reads epoch, step, metrics, the -v suffix and last', () => {
    expect(parseLightningCheckpointName('epoch=3-step=1200.ckpt')).toEqual({
      epoch: 3,
      step: 1200,
      metrics: {},
      labels: {},
      last: false,
    });
    expect(parseLightningCheckpointName('epoch=0-step=50-val_loss=-0.25-v2.ckpt')).toMatchObject({
      epoch: 0,
      step: 50,
      metrics: { val_loss: -0.25 },
      version: 2,
    });
    expect(parseLightningCheckpointName('last-v1.ckpt')).toMatchObject({ last: true, version: 1 });
    expect(parseLightningCheckpointName('model-tag=best.ckpt')).toMatchObject({
      labels: { tag: 'best' },
      metrics: {},
    });
  });
});

describe('createLightningSource', () => {
  it('answers hparams, the metrics logged at the step, epoch, step and the run', async () => {
    const storage = await loadFixtureTree('lightning');
    const lookup = await createLightningSource().lookup(
      subjectOf(storage, `${version0}checkpoints/epoch=1-step=200.ckpt`),
    );
    expect(lookup).toEqual({
      status: 'found',
      answer: {
        metadata: {
          lightning: { checkpoint: 'epoch=1-step=200.ckpt' },
          hparams: {
            learning_rate: 0.001,
            batch_size: 32,
            hidden_dim: 128,
            optimizer: 'adam',
            layers: [64, 32],
            data: { name: 'mnist', fraction: 0.5 },
          },
        },
        // Only the row of step 200 (validation); the training rows are of other steps.
        metrics: { val_acc: 0.88, val_loss: 0.44 },
        tags: ['lightning'],
        run: { name: 'version_0', group: 'lightning_logs' },
        epoch: 1,
        trainingStep: 200,
        origin: `${version0}hparams.yaml`,
      },
    });
  });

  it("falls back to the epoch's rows when no row has the checkpoint's step", async () => {
    const storage = await loadFixtureTree('lightning');
    const lookup = await createLightningSource().lookup(
      subjectOf(storage, `${version0}checkpoints/epoch=0-step=100.ckpt`),
    );
    expect(lookup.status === 'found' && lookup.answer.metrics).toEqual({
      train_loss: 0.71,
      val_acc: 0.81,
      val_loss: 0.62,
    });
  });

  it("lets the file name's metrics win and records the -v suffix and last.ckpt", async () => {
    const storage = await loadFixtureTree('lightning');
    const source = createLightningSource();
    const versioned = await source.lookup(
      subjectOf(storage, `${version1}checkpoints/epoch=0-step=50-val_loss=0.80-v1.ckpt`),
    );
    expect(versioned).toMatchObject({
      status: 'found',
      answer: {
        metrics: { train_loss: 0.9, val_loss: 0.8 },
        metadata: { lightning: { nameVersion: 1 } },
        run: { name: 'version_1' },
      },
    });
    const last = await source.lookup(subjectOf(storage, `${version1}checkpoints/last.ckpt`));
    expect(last).toMatchObject({
      status: 'found',
      answer: { tags: ['lightning', 'last'], metrics: {}, metadata: { lightning: { last: true } } },
    });
    expect(last.status === 'found' && last.answer.epoch).toBeUndefined();
  });

  it('is not-found for other files and for a .ckpt outside checkpoints/', async () => {
    const storage = await loadFixtureTree('lightning');
    const source = createLightningSource();
    for (const key of [
      `${version0}hparams.yaml`,
      `${version0}model.ckpt`,
      'elsewhere/checkpoints/model.ckpt',
    ]) {
      const lookup = await source.lookup(subjectOf(storage, key));
      expect(lookup.status, key).toBe('not-found');
    }
  });

  it('is unusable, naming the file, when hparams.yaml is malformed', async () => {
    const storage = await loadFixtureTree('lightning');
    await storage.put(`${version0}hparams.yaml`, 'learning_rate: [0.1\nbatch: {');
    const lookup = await createLightningSource().lookup(
      subjectOf(storage, `${version0}checkpoints/epoch=1-step=200.ckpt`),
    );
    expect(lookup.status).toBe('unusable');
    expect(lookup.status === 'unusable' && lookup.reason).toContain(`${version0}hparams.yaml`);
  });

  it('is unusable when metrics.csv has neither step nor epoch, or a row wider than its header', async () => {
    const storage = await loadFixtureTree('lightning');
    const source = createLightningSource();
    const subject = subjectOf(storage, `${version0}checkpoints/epoch=1-step=200.ckpt`);
    await storage.put(`${version0}metrics.csv`, 'train_loss,val_loss\n0.5,0.4\n');
    const noPosition = await source.lookup(subject);
    expect(noPosition.status === 'unusable' && noPosition.reason).toMatch(
      /metrics\.csv" has neither a "step" nor an "epoch" column/,
    );
    await storage.put(`${version0}metrics.csv`, 'epoch,step,loss\n1,200,0.5,0.1\n');
    const wide = await source.lookup(subject);
    expect(wide.status === 'unusable' && wide.reason).toMatch(/metrics\.csv".*row 2 has 4 cells/);
  });

  it('reads rows shorter than the header (columns added later) as empty cells', async () => {
    const storage = await loadFixtureTree('lightning');
    await storage.put(`${version0}metrics.csv`, 'epoch,step,loss,acc\n1,200,0.5\n1,200,,0.9\n');
    const lookup = await createLightningSource().lookup(
      subjectOf(storage, `${version0}checkpoints/epoch=1-step=200.ckpt`),
    );
    expect(lookup.status === 'found' && lookup.answer.metrics).toEqual({ loss: 0.5, acc: 0.9 });
  });

  it('is unusable when a neighbouring file is too large, and sees a changed file', async () => {
    const storage = await loadFixtureTree('lightning');
    const source = createLightningSource();
    const subject = subjectOf(storage, `${version0}checkpoints/epoch=1-step=200.ckpt`);
    expect((await source.lookup(subject)).status).toBe('found');
    await storage.put(`${version0}hparams.yaml`, `big: "${'x'.repeat(1024 * 1024)}"\n`);
    const big = await source.lookup(subject);
    expect(big.status === 'unusable' && big.reason).toMatch(/hparams\.yaml" is larger than/);
  });

  it('answers from the file name alone when the logs are gone', async () => {
    const storage = createMemoryStorage();
    await storage.put('runs-old/checkpoints/epoch=2-step=30.ckpt', 'x');
    const lookup = await createLightningSource().lookup(
      subjectOf(storage, 'runs-old/checkpoints/epoch=2-step=30.ckpt'),
    );
    expect(lookup).toMatchObject({
      status: 'found',
      answer: { epoch: 2, trainingStep: 30, origin: 'runs-old/checkpoints/epoch=2-step=30.ckpt' },
    });
  });
});
