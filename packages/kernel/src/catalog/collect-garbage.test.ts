import { describe, expect, it } from 'vitest';
import { checkpointKeys } from '../naming/layout.js';
import { catalogFixture, collect, idsOf } from '../testing/catalog-fixtures.js';
import { keysOf, testStart } from '../testing/checkpoints-fixtures.js';
import { rejection } from '../testing/rejection.js';
import { recordCatalogChange } from './catalog-changes.js';
import { stepIndexKeys } from './catalog-index-format.js';
import { collectGarbage } from './collect-garbage.js';
import { createCatalog } from './create-catalog.js';

const day = 24 * 60 * 60 * 1000;

describe('collectGarbage', () => {
  it('deletes payloads of saves that never committed once they are old, and nothing else', async () => {
    const { storage, save } = catalogFixture();
    const kept = await save({ metrics: { loss: 1 } });
    // Two saves that died before their sidecar: one two days before the clock, one just now.
    const old = 'train/20250808T120000.000Z-aaaaaa';
    const fresh = 'train/20250810T143100.000Z-bbbbbb';
    await storage.put(checkpointKeys(old).payload, 'old bytes');
    await storage.put(checkpointKeys(fresh).payload, 'fresh bytes');
    const now = () => testStart + 5 * 60_000;
    const dry = await collectGarbage({ storage, now, dryRun: true });
    expect(dry).toEqual({
      dryRun: true,
      abandonedPayloads: [checkpointKeys(old).payload],
      orphanSegments: [],
      expiredChanges: [],
    });
    expect(await keysOf(storage, checkpointKeys(old).payload)).toHaveLength(1);
    const report = await collectGarbage({ storage, now });
    expect(report.abandonedPayloads).toEqual([checkpointKeys(old).payload]);
    expect(await keysOf(storage, 'checkpoints/')).toEqual(
      [
        checkpointKeys(fresh).payload,
        checkpointKeys(kept.id).payload,
        checkpointKeys(kept.id).sidecar,
      ].sort(),
    );
  });

  it('deletes index segments no head lists once an hour old, and change records after 30 days', async () => {
    const { storage, save } = catalogFixture();
    await save({ metrics: { loss: 1 } });
    await collect(createCatalog({ storage }).checkpoints());
    const orphan = `${stepIndexKeys('train').segmentsPrefix}20250810T000000.000Z-aaaaaa-0000000000000000.json`;
    await storage.put(orphan, '{}');
    await recordCatalogChange(storage, {
      step: 'train',
      removed: ['train/20250810T000000.000Z-aaaaaa'],
    });
    const [change] = await keysOf(storage, 'catalog/changes/');
    const listedSegments = await keysOf(storage, stepIndexKeys('train').segmentsPrefix);
    const soon = await collectGarbage({ storage, now: () => Date.now() + 10 * 60_000 });
    expect(soon.orphanSegments).toEqual([]);
    const later = await collectGarbage({ storage, now: () => Date.now() + 31 * day });
    expect(later.orphanSegments).toEqual([orphan]);
    expect(later.expiredChanges).toEqual([change]);
    expect(await keysOf(storage, stepIndexKeys('train').segmentsPrefix)).toEqual(
      listedSegments.filter((key) => key !== orphan),
    );
    expect(await keysOf(storage, 'catalog/changes/')).toEqual([]);
  });

  it('an index older than the change records kept rebuilds itself instead of trusting them', async () => {
    const { storage, save } = catalogFixture();
    const first = await save({ metrics: { loss: 1 } });
    const second = await save({ metrics: { loss: 2 } });
    await collect(createCatalog({ storage }).checkpoints());
    // Forty days later: a change record about the first was written and collected meanwhile.
    const head = JSON.parse(
      (
        await storage.get(stepIndexKeys('train').head).then(async ({ body }) => {
          const chunks: Buffer[] = [];
          for await (const chunk of body) chunks.push(chunk as Buffer);
          return Buffer.concat(chunks);
        })
      ).toString(),
    );
    await storage.put(
      stepIndexKeys('train').head,
      JSON.stringify({ ...head, writtenAt: new Date(Date.now() - 40 * day).toISOString() }),
    );
    await storage.delete(checkpointKeys(first.id).sidecar);
    expect(idsOf(await collect(createCatalog({ storage }).checkpoints()))).toEqual([second.id]);
  });

  it('refuses bad options', async () => {
    const error = await rejection(collectGarbage({ storage: {} as never, abandonedAfterMs: -1 }));
    expect(error.code).toBe('INVALID_OPTIONS');
    expect(error.message).toMatch(/storage: expected a Storage/);
    expect(error.message).toMatch(/abandonedAfterMs/);
  });
});
