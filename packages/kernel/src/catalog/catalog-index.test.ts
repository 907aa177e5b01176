import { describe, expect, it } from 'vitest';
import { formatSidecar } from '../checkpoints/checkpoint-record.js';
import { keepLast } from '../checkpoints/retention.js';
import { checkpointKeys } from '../naming/layout.js';
import { catalogFixture, collect, idsOf, sidecarReads } from '../testing/catalog-fixtures.js';
import {
  keysOf,
  type LoggedWarning,
  testRun,
  warningRecorder,
} from '../testing/checkpoints-fixtures.js';
import { recordCatalogChange } from './catalog-changes.js';
import { stepIndexKeys } from './catalog-index-format.js';
import { createCatalog } from './create-catalog.js';

async function withSaved(count: number) {
  const fixture = catalogFixture();
  const saved = [];
  for (let index = 0; index < count; index++)
    saved.push(await fixture.save({ metrics: { loss: 1 / (index + 1) } }));
  const warnings: LoggedWarning[] = [];
  const catalog = createCatalog({
    storage: fixture.storage,
    segmentSize: 16,
    logger: warningRecorder(warnings),
  });
  return { ...fixture, saved, catalog, warnings };
}

describe('the catalog index', () => {
  it('is written on the first listing, and a repeat listing reads no sidecar', async () => {
    const { catalog, storage, saved } = await withSaved(40);
    expect(idsOf(await collect(catalog.checkpoints()))).toEqual(idsOf(saved));
    expect(sidecarReads(storage.gets)).toHaveLength(40);
    const indexKeys = await keysOf(storage, 'catalog/index/v1/checkpoints/train/');
    expect(indexKeys).toContain(stepIndexKeys('train').head);
    expect(indexKeys.filter((key) => key.includes('/segments/'))).toHaveLength(3);
    storage.gets.length = 0;
    // A new catalog (a new process) uses the stored index.
    const again = createCatalog({ storage, segmentSize: 16 });
    expect(idsOf(await collect(again.checkpoints()))).toEqual(idsOf(saved));
    expect(sidecarReads(storage.gets)).toEqual([]);
  });

  it('reads only the sidecars saved since, and rewrites only the last segment', async () => {
    const { catalog, storage, save, saved } = await withSaved(40);
    await collect(catalog.checkpoints());
    const before = await keysOf(storage, stepIndexKeys('train').segmentsPrefix);
    storage.gets.length = 0;
    const added = [await save({ metrics: { loss: 9 } }), await save({ metrics: { loss: 8 } })];
    const entries = await collect(catalog.checkpoints());
    expect(idsOf(entries)).toEqual(idsOf([...saved, ...added]));
    expect(sidecarReads(storage.gets).sort()).toEqual(
      added.map((record) => checkpointKeys(record.id).sidecar).sort(),
    );
    const after = await keysOf(storage, stepIndexKeys('train').segmentsPrefix);
    expect(after.filter((key) => !before.includes(key))).toHaveLength(1);
    expect(before.filter((key) => !after.includes(key))).toHaveLength(1);
  });

  it('never lists a pruned checkpoint, re-reading only what the prune recorded', async () => {
    const { catalog, storage, store, saved } = await withSaved(30);
    await collect(catalog.checkpoints());
    storage.gets.length = 0;
    const report = await store.prune({ run: testRun, step: 'train', keep: [keepLast(5)] });
    expect(report.deleted).toHaveLength(25);
    storage.gets.length = 0;
    expect(idsOf(await collect(catalog.checkpoints()))).toEqual(idsOf(saved.slice(25)));
    expect(sidecarReads(storage.gets)).toHaveLength(25);
    // The index now holds only what is left: the next listing reads nothing.
    storage.gets.length = 0;
    expect(idsOf(await collect(catalog.checkpoints()))).toEqual(idsOf(saved.slice(25)));
    expect(sidecarReads(storage.gets)).toEqual([]);
  });

  it('keeps re-checking a deletion recorded but not yet done, and drops it once done', async () => {
    const { catalog, storage, saved } = await withSaved(20);
    await collect(catalog.checkpoints());
    const target = saved[5];
    if (target === undefined) throw new Error('fixture');
    // A prune has written its record and not yet deleted the sidecar.
    await recordCatalogChange(storage, { step: 'train', removed: [target.id] });
    expect(idsOf(await collect(catalog.checkpoints()))).toContain(target.id);
    await storage.delete(checkpointKeys(target.id).sidecar);
    expect(idsOf(await collect(catalog.checkpoints()))).not.toContain(target.id);
    // Settled now: the next listing reads no sidecar.
    storage.gets.length = 0;
    await collect(catalog.checkpoints());
    expect(sidecarReads(storage.gets)).toEqual([]);
  });

  it('shows a sidecar rewritten in place once the rewrite is recorded', async () => {
    const { catalog, storage, saved } = await withSaved(20);
    await collect(catalog.checkpoints());
    const target = saved[3];
    if (target === undefined) throw new Error('fixture');
    await recordCatalogChange(storage, { step: 'train', rewritten: [target.id] });
    await storage.put(
      checkpointKeys(target.id).sidecar,
      formatSidecar({ ...target, metrics: { loss: 42 } }),
    );
    const entries = await collect(catalog.checkpoints());
    expect(entries.find((entry) => entry.id === target.id)?.metrics).toEqual({ loss: 42 });
  });

  it('finds a sidecar stamped in the past when its writer records it as added', async () => {
    const { catalog, storage, saved } = await withSaved(20);
    await collect(catalog.checkpoints());
    const template = saved[0];
    if (template === undefined) throw new Error('fixture');
    // Stamped an hour before everything else, as `index` does with an old payload's time.
    const id = 'train/20250810T133000.000Z-abcdef';
    const indexed = { source: 'lightning', skipped: [], at: '2025-08-10T15:00:00.000Z' };
    await storage.put(
      checkpointKeys(id).sidecar,
      formatSidecar({ ...template, id, metrics: { loss: 7 }, indexed }),
    );
    await recordCatalogChange(storage, { step: 'train', added: [id] });
    const entries = await collect(catalog.checkpoints());
    expect(entries[0]).toMatchObject({ id, metrics: { loss: 7 }, source: 'sidecar', indexed });
    expect(entries).toHaveLength(21);
  });

  it('finds a checkpoint stamped a little before the newest it had seen (a clock behind)', async () => {
    const { catalog, storage, saved } = await withSaved(20);
    await collect(catalog.checkpoints());
    const newest = saved.at(-1);
    if (newest === undefined) throw new Error('fixture');
    // Five minutes before the newest id the index has seen.
    const skewed = 'train/20250810T144700.000Z-abcdef';
    expect(newest.id.startsWith('train/20250810T145200')).toBe(true);
    await storage.put(
      checkpointKeys(skewed).sidecar,
      formatSidecar({ ...newest, id: skewed, metrics: { loss: 5 } }),
    );
    const entries = await collect(catalog.checkpoints());
    expect(entries.find((entry) => entry.id === skewed)?.metrics).toEqual({ loss: 5 });
  });

  it('drops sidecars deleted or edited by hand on a full refresh', async () => {
    const { catalog, storage, saved } = await withSaved(20);
    await collect(catalog.checkpoints());
    const gone = saved[2];
    const edited = saved[4];
    if (gone === undefined || edited === undefined) throw new Error('fixture');
    await storage.delete(checkpointKeys(gone.id).sidecar);
    await storage.put(
      checkpointKeys(edited.id).sidecar,
      formatSidecar({ ...edited, tags: ['hand'] }),
    );
    const report = await catalog.refresh({ full: true });
    expect(report.steps).toEqual([expect.objectContaining({ step: 'train', checkpoints: 19 })]);
    const entries = await collect(catalog.checkpoints());
    expect(idsOf(entries)).not.toContain(gone.id);
    expect(entries.find((entry) => entry.id === edited.id)?.tags).toEqual(['hand']);
  });

  it('rebuilds itself when its head is damaged', async () => {
    const { catalog, storage, saved, warnings } = await withSaved(20);
    await collect(catalog.checkpoints());
    await storage.put(stepIndexKeys('train').head, '{"format": "cairn.catalog-index/v1", "seg');
    expect(idsOf(await collect(catalog.checkpoints()))).toEqual(idsOf(saved));
    expect(warnings.map((warning) => warning.message)).toContain(
      'catalog index head is damaged; rebuilding it',
    );
  });

  it('rebuilds itself when a segment is damaged or gone, listing each checkpoint once', async () => {
    for (const damage of ['flip', 'delete'] as const) {
      const { catalog, storage, saved, warnings } = await withSaved(40);
      await collect(catalog.checkpoints());
      const segments = await keysOf(storage, stepIndexKeys('train').segmentsPrefix);
      const victim = segments[1] as string;
      if (damage === 'delete') await storage.delete(victim);
      else
        await storage.put(
          victim,
          await storage.get(victim).then(async ({ body }) => {
            const chunks: Buffer[] = [];
            for await (const chunk of body) chunks.push(chunk as Buffer);
            return Buffer.concat(chunks).toString().replace('"loss"', '"lost"');
          }),
        );
      // A new process, so nothing of the old index is held in memory.
      const fresh = createCatalog({ storage, segmentSize: 16, logger: warningRecorder(warnings) });
      expect(idsOf(await collect(fresh.checkpoints()))).toEqual(idsOf(saved));
      expect(warnings.some((warning) => /segment unusable/.test(warning.message ?? ''))).toBe(true);
      expect(catalog).toBeDefined();
    }
  });

  it('is never written with writeIndex: false (read-only storage)', async () => {
    const { storage, saved } = await withSaved(10);
    const readOnly = createCatalog({ storage, writeIndex: false });
    expect(idsOf(await collect(readOnly.checkpoints()))).toEqual(idsOf(saved));
    expect(await keysOf(storage, 'catalog/index/')).toEqual([]);
  });

  it('leaves nothing behind for a step that has no checkpoints', async () => {
    const { catalog, storage } = await withSaved(3);
    expect(await collect(catalog.checkpoints({ step: 'nosuchstep' }))).toEqual([]);
    expect(await keysOf(storage, 'catalog/index/v1/checkpoints/nosuchstep/')).toEqual([]);
  });

  it('stays right when two processes refresh it at once', async () => {
    const { storage, save, saved } = await withSaved(40);
    const first = createCatalog({ storage, segmentSize: 16 });
    await collect(first.checkpoints());
    const added = [await save(), await save(), await save()];
    const second = createCatalog({ storage, segmentSize: 16 });
    const [one, two] = await Promise.all([
      collect(first.checkpoints()),
      collect(second.checkpoints()),
    ]);
    const expected = idsOf([...saved, ...added]);
    expect(idsOf(one)).toEqual(expected);
    expect(idsOf(two)).toEqual(expected);
    const third = createCatalog({ storage, segmentSize: 16 });
    expect(idsOf(await collect(third.checkpoints()))).toEqual(expected);
  });
});

describe('the catalog index with a save under way', () => {
  it('does not rewrite its head on every listing while a payload waits for its sidecar', async () => {
    const { catalog, storage, saved } = await withSaved(5);
    await collect(catalog.checkpoints());
    const newest = saved.at(-1);
    if (newest === undefined) throw new Error('fixture');
    // A payload whose sidecar is not written yet, stamped right after the newest checkpoint.
    const pending = 'train/20250810T143800.000Z-pppppp';
    expect(pending > newest.id).toBe(true);
    await storage.put(checkpointKeys(pending).payload, 'bytes');
    await collect(catalog.checkpoints());
    const head = await storage.head(stepIndexKeys('train').head);
    await collect(catalog.checkpoints());
    expect((await storage.head(stepIndexKeys('train').head))?.etag).toBe(head?.etag);
    // Once committed it is listed.
    await storage.put(checkpointKeys(pending).sidecar, formatSidecar({ ...newest, id: pending }));
    expect(idsOf(await collect(catalog.checkpoints())).at(-1)).toBe(pending);
  });
});
