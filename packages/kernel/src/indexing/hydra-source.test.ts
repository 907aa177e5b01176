import { describe, expect, it } from 'vitest';
import { loadFixtureTree, subjectOf } from '../testing/indexing-fixtures.js';
import { createHydraSource, hydraRunTime } from './hydra-source.js';

const run = 'outputs/2024-05-01/12-30-00/';

describe('hydraRunTime', () => {
  it("reads Hydra's date and time folders, single runs and multirun jobs", () => {
    expect(hydraRunTime(run)).toBe('2024-05-01T12:30:00.000Z');
    expect(hydraRunTime('multirun/2024-05-01/12-30-00/3/')).toBe('2024-05-01T12:30:00.000Z');
    expect(hydraRunTime('outputs/2024-13-01/12-30-00/')).toBeUndefined();
    expect(hydraRunTime('outputs/my-run/')).toBeUndefined();
  });
});

describe('createHydraSource', () => {
  it('answers the config, overrides, job name and run start for a payload below .hydra/', async () => {
    const storage = await loadFixtureTree('hydra');
    const lookup = await createHydraSource().lookup(
      subjectOf(storage, `${run}checkpoints/model.pt`),
    );
    expect(lookup).toEqual({
      status: 'found',
      answer: {
        metadata: {
          config: {
            model: { name: 'resnet18', dropout: 0.1 },
            optimizer: { lr: 0.01, momentum: 0.9 },
            trainer: { max_epochs: 10 },
            seed: 42,
          },
          overrides: ['optimizer.lr=0.01', 'seed=42'],
          hydra: {
            runFolder: 'outputs/2024-05-01/12-30-00',
            job: 'train_classifier',
            startedAt: '2024-05-01T12:30:00.000Z',
          },
        },
        metrics: {},
        tags: ['hydra'],
        run: {
          id: 'outputs/2024-05-01/12-30-00',
          name: 'train_classifier',
          group: 'train_classifier',
          createdAt: '2024-05-01T12:30:00.000Z',
        },
        origin: `${run}.hydra/config.yaml`,
      },
    });
  });

  it('is not-found without a .hydra folder close above the payload', async () => {
    const storage = await loadFixtureTree('hydra');
    await storage.put('elsewhere/a/b/c/d/model.pt', 'x');
    await storage.put(`${run}a/b/c/d/model.pt`, 'x');
    const source = createHydraSource();
    for (const key of ['elsewhere/a/b/c/d/model.pt', `${run}a/b/c/d/model.pt`]) {
      const lookup = await source.lookup(subjectOf(storage, key));
      expect(lookup.status, key).toBe('not-found');
    }
  });

  it('works without hydra.yaml and overrides.yaml, naming the run by its folder', async () => {
    const storage = await loadFixtureTree('hydra');
    await storage.delete(`${run}.hydra/hydra.yaml`);
    await storage.delete(`${run}.hydra/overrides.yaml`);
    const lookup = await createHydraSource().lookup(
      subjectOf(storage, `${run}checkpoints/model.pt`),
    );
    expect(lookup).toMatchObject({
      status: 'found',
      answer: { metadata: { overrides: [] }, run: { name: '12-30-00' } },
    });
  });

  it('is unusable, naming the file, when config.yaml or overrides.yaml is malformed', async () => {
    const storage = await loadFixtureTree('hydra');
    const source = createHydraSource();
    const subject = subjectOf(storage, `${run}checkpoints/model.pt`);
    await storage.put(`${run}.hydra/overrides.yaml`, 'seed: 42\n');
    const overrides = await source.lookup(subject);
    expect(overrides.status === 'unusable' && overrides.reason).toContain('overrides.yaml');
    await storage.put(`${run}.hydra/config.yaml`, 'model: {name: [\n');
    const config = await source.lookup(subject);
    expect(config.status === 'unusable' && config.reason).toContain(`${run}.hydra/config.yaml`);
  });
});
