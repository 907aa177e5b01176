import { describe, expect, it } from 'vitest';
import { catalogFixture, collect, idsOf, metricOf } from '../testing/catalog-fixtures.js';
import { otherRun } from '../testing/checkpoints-fixtures.js';
import { rejection } from '../testing/rejection.js';
import { createCatalog } from './create-catalog.js';

async function sevenCheckpoints() {
  const fixture = catalogFixture();
  const saved = [];
  const losses = [0.9, 0.5, 0.7, 0.2, 0.4, 0.3, 0.8];
  for (const [index, loss] of losses.entries()) {
    saved.push(
      await fixture.save({
        step: index % 3 === 2 ? 'eval' : 'train',
        run: index < 4 ? undefined : otherRun,
        metrics: { loss, hmean: 1 - loss },
        metadata: { epoch: index, data: { version: index % 2 === 0 ? 'v1' : 'v2' } },
        tags: index === 3 ? ['best', 'keep'] : ['keep'],
      }),
    );
  }
  return { ...fixture, saved, catalog: createCatalog({ storage: fixture.storage }) };
}

describe('catalog queries', () => {
  it('lists every checkpoint of every step oldest first, with its sidecar metadata', async () => {
    const { catalog, saved } = await sevenCheckpoints();
    const entries = await collect(catalog.checkpoints());
    expect(idsOf(entries)).toEqual(idsOf(saved));
    const fourth = entries[3];
    expect(fourth).toMatchObject({
      kind: 'checkpoint',
      step: 'train',
      source: 'sidecar',
      skipped: [],
      metrics: { loss: 0.2 },
      tags: ['best', 'keep'],
      epoch: 3,
      run: saved[3]?.run,
      size: saved[3]?.size,
      createdAt: saved[3]?.createdAt,
      payloadKey: `checkpoints/${saved[3]?.id}/payload`,
    });
    expect(fourth?.record).toEqual(saved[3]);
  });

  it('filters by step, run, tags, metadata (dotted paths) and metric ranges', async () => {
    const { catalog, saved } = await sevenCheckpoints();
    const pick = (...indexes: number[]) => indexes.map((index) => saved[index]?.id);
    expect(idsOf(await collect(catalog.checkpoints({ step: 'eval' })))).toEqual(pick(2, 5));
    expect(idsOf(await collect(catalog.checkpoints({ step: ['eval', 'train'] })))).toEqual(
      pick(0, 1, 2, 3, 4, 5, 6),
    );
    expect(idsOf(await collect(catalog.checkpoints({ run: otherRun })))).toEqual(pick(4, 5, 6));
    expect(idsOf(await collect(catalog.checkpoints({ tags: ['best'] })))).toEqual(pick(3));
    expect(
      idsOf(await collect(catalog.checkpoints({ metadata: { 'data.version': 'v2', epoch: 5 } }))),
    ).toEqual(pick(5));
    expect(
      idsOf(await collect(catalog.checkpoints({ metrics: { loss: { min: 0.3, max: 0.7 } } }))),
    ).toEqual(pick(1, 2, 4, 5));
    expect(
      idsOf(
        await collect(catalog.checkpoints({ where: (entry) => (entry.metrics.loss ?? 1) > 0.75 })),
      ),
    ).toEqual(pick(0, 6));
  });

  it('gives the best k by a metric, lowest or highest first', async () => {
    const { catalog } = await sevenCheckpoints();
    const lowest = await collect(
      catalog.checkpoints({ best: { metric: 'loss', mode: 'min', k: 3 } }),
    );
    expect(metricOf(lowest, 'loss')).toEqual([0.2, 0.3, 0.4]);
    const highest = await collect(
      catalog.checkpoints({ step: 'train', best: { metric: 'hmean', mode: 'max', k: 2 } }),
    );
    expect(metricOf(highest, 'loss')).toEqual([0.2, 0.4]);
    // Entries without the metric are never among the best.
    expect(
      await collect(catalog.checkpoints({ best: { metric: 'missing', mode: 'max', k: 2 } })),
    ).toEqual([]);
  });

  it('sorts by any metric or field, either way, with entries lacking it last', async () => {
    const { catalog, save } = await sevenCheckpoints();
    await save({ metrics: { other: 1 } });
    const sorted = await collect(
      catalog.checkpoints({ sort: { by: 'metrics.loss', order: 'desc' } }),
    );
    expect(metricOf(sorted, 'loss')).toEqual([0.9, 0.8, 0.7, 0.5, 0.4, 0.3, 0.2, undefined]);
    const limited = await collect(
      catalog.checkpoints({ sort: { by: 'metrics.loss', order: 'asc' }, limit: 2 }),
    );
    expect(metricOf(limited, 'loss')).toEqual([0.2, 0.3]);
    const byEpoch = await collect(catalog.checkpoints({ sort: { by: 'epoch', order: 'desc' } }));
    expect(byEpoch.map((entry) => entry.epoch)).toEqual([6, 5, 4, 3, 2, 1, 0, undefined]);
  });

  it('gives the newest matching checkpoint of each step', async () => {
    const { catalog, saved } = await sevenCheckpoints();
    expect(idsOf(await collect(catalog.checkpoints({ latestPerStep: true })))).toEqual([
      saved[5]?.id,
      saved[6]?.id,
    ]);
    expect(
      idsOf(await collect(catalog.checkpoints({ latestPerStep: true, run: saved[0]?.run }))),
    ).toEqual([saved[2]?.id, saved[3]?.id]);
  });

  it('stops after limit, and a consumer may stop early', async () => {
    const { catalog, saved } = await sevenCheckpoints();
    expect(idsOf(await collect(catalog.checkpoints({ limit: 2 })))).toEqual(
      idsOf(saved.slice(0, 2)),
    );
    for await (const entry of catalog.checkpoints()) {
      expect(entry.id).toBe(saved[0]?.id);
      break;
    }
    // Stopping early leaves the catalog usable.
    expect(await collect(catalog.checkpoints())).toHaveLength(7);
  });

  it('stops with ABORTED when cancelled before or during a listing', async () => {
    const { catalog } = await sevenCheckpoints();
    const error = await rejection(collect(catalog.checkpoints({ signal: AbortSignal.abort() })));
    expect(error.code).toBe('ABORTED');
    const controller = new AbortController();
    const seen: string[] = [];
    const during = await rejection(
      (async () => {
        for await (const entry of catalog.checkpoints({
          step: 'train',
          signal: controller.signal,
        })) {
          seen.push(entry.id);
          controller.abort();
        }
      })(),
    );
    expect(during.code).toBe('ABORTED');
    expect(seen).toHaveLength(1);
  });

  it('lists the steps that have checkpoints', async () => {
    const { catalog } = await sevenCheckpoints();
    expect(await catalog.steps()).toEqual(['eval', 'train']);
  });

  it('refuses a bad query or bad options, naming what is wrong', async () => {
    const { catalog, storage } = await sevenCheckpoints();
    const badSort = await rejection(
      collect(catalog.checkpoints({ sort: { by: 'loss' } } as never)),
    );
    expect(badSort.code).toBe('INVALID_OPTIONS');
    expect(badSort.message).toMatch(
      /sort\.by: expected createdAt, id, size, epoch, trainingStep or metrics\.<name>/,
    );
    const badBest = await rejection(
      collect(catalog.checkpoints({ best: { metric: 'loss', mode: 'lowest', k: 0 } } as never)),
    );
    expect(badBest.message).toMatch(/best\.mode/);
    expect(badBest.message).toMatch(/best\.k/);
    const both = await rejection(
      collect(
        catalog.checkpoints({ best: { metric: 'loss', mode: 'min', k: 1 }, sort: { by: 'id' } }),
      ),
    );
    expect(both.message).toMatch(/drop `sort`/);
    const unknownKey = await rejection(collect(catalog.checkpoints({ stpe: 'train' } as never)));
    expect(unknownKey.message).toMatch(/stpe/);
    expect(() => createCatalog({ storage, segmentSize: 2 })).toThrow(/segmentSize/);
    expect(() => createCatalog({ storage: {} as never })).toThrow(/expected a Storage/);
  });

  it('refuses to list once closed, and closes its sources once', async () => {
    const { storage } = await sevenCheckpoints();
    let closes = 0;
    const catalog = createCatalog({
      storage,
      sources: [
        {
          name: 'probe',
          lookup: async () => ({ status: 'not-found', reason: 'nothing' }),
          close: async () => void closes++,
        },
      ],
    });
    await catalog.close();
    await catalog.close();
    expect(closes).toBe(1);
    expect((await rejection(collect(catalog.checkpoints()))).message).toMatch(/closed/);
  });
});
