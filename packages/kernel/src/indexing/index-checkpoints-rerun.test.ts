import { text } from 'node:stream/consumers';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { parse } from 'yaml';
import { createCheckpointStore } from '../checkpoints/create-checkpoint-store.js';
import { isCairnError } from '../errors/cairn-error.js';
import { catalogChangesPrefix } from '../naming/layout.js';
import type { Storage } from '../storage/storage.js';
import { collect } from '../testing/catalog-fixtures.js';
import { loadFixtureTree, recordingWrites } from '../testing/indexing-fixtures.js';
import { indexCheckpoints } from './index-checkpoints.js';
import { formatIndexPlan } from './index-report.js';

const version0 = 'lightning_logs/version_0/';
const step200 = `${version0}checkpoints/epoch=1-step=200.ckpt`;

/** The change records of a step, oldest first. */
async function changesOf(storage: Storage, step: string) {
  const records = [];
  for (const info of await collect(storage.list({ prefix: catalogChangesPrefix(step) }))) {
    records.push(parse(await text((await storage.get(info.key)).body)));
  }
  return records;
}

beforeEach(() => {
  // Payload times come from the storage's clock: pin it so ids do not depend on timing.
  vi.useFakeTimers({ toFake: ['Date'] });
  vi.setSystemTime(new Date('2025-03-01T10:00:00.000Z'));
});
afterEach(() => {
  vi.useRealTimers();
});

describe('indexCheckpoints run again', () => {
  it('reports everything unchanged and writes nothing', async () => {
    const storage = recordingWrites(await loadFixtureTree('lightning'));
    const first = await indexCheckpoints({ storage });
    storage.puts.length = 0;
    // Later: only `indexed.at` would differ.
    vi.setSystemTime(new Date('2025-03-01T11:00:00.000Z'));
    const second = await indexCheckpoints({ storage });
    expect(second.unchanged.map((item) => item.id)).toEqual(first.created.map((item) => item.id));
    expect([second.created, second.rewritten, second.replaced, second.skipped]).toEqual([
      [],
      [],
      [],
      [],
    ]);
    expect(storage.puts).toEqual([]);
    expect(storage.deletes).toEqual([]);
  });

  it('rewrites a sidecar in place, after a change record, when metrics.csv changed', async () => {
    const storage = recordingWrites(await loadFixtureTree('lightning'));
    const first = await indexCheckpoints({ storage });
    const before = first.created.find((item) => item.payloadKey === step200);
    await storage.put(`${version0}metrics.csv`, 'epoch,step,val_loss\n1,200,0.33\n');
    storage.puts.length = 0;
    const second = await indexCheckpoints({ storage });
    // Both checkpoints of version_0 read the file; only the one logged at step 200 changes
    // metrics, and the one at step 100 loses its epoch-0 rows.
    expect(second.rewritten.map((item) => item.payloadKey).sort()).toEqual([
      `${version0}checkpoints/epoch=0-step=100.ckpt`,
      step200,
    ]);
    expect(second.rewritten.find((item) => item.payloadKey === step200)?.id).toBe(before?.id);
    const changes = await changesOf(storage, 'indexed');
    expect(changes.flatMap((change) => change.rewritten).sort()).toEqual(
      second.rewritten.map((item) => item.id).sort(),
    );
    // Each rewrite's change record is written before the sidecar.
    const sidecarKey = `checkpoints/${before?.id}/checkpoint.yaml`;
    const sidecarWrite = storage.puts.indexOf(sidecarKey);
    expect(sidecarWrite).toBeGreaterThan(0);
    expect(storage.puts[sidecarWrite - 1]).toMatch(/^catalog\/changes\/checkpoints\/indexed\//);
    const record = await createCheckpointStore({ storage }).get(before?.id as string);
    expect(record.metrics).toEqual({ val_loss: 0.33 });
  });

  it('replaces the sidecar of a replaced payload and removes the old one after a change record', async () => {
    const storage = recordingWrites(await loadFixtureTree('lightning'));
    const first = await indexCheckpoints({ storage });
    const old = first.created.find((item) => item.payloadKey === step200);
    vi.setSystemTime(new Date('2025-03-02T08:00:00.000Z'));
    await storage.put(step200, 'retrained bytes');
    storage.deletes.length = 0;
    const second = await indexCheckpoints({ storage });
    expect(second.replaced).toHaveLength(1);
    const [replaced] = second.replaced;
    expect(replaced?.replacedIds).toEqual([old?.id]);
    expect(replaced?.id).not.toBe(old?.id);
    expect(replaced?.id).toMatch(/^indexed\/20250302T080000\.000Z-/);
    expect(second.unchanged).toHaveLength(4);
    expect(storage.deletes).toEqual([`checkpoints/${old?.id}/checkpoint.yaml`]);
    const changes = await changesOf(storage, 'indexed');
    expect(changes.flatMap((change) => change.removed)).toEqual([old?.id]);
    expect(changes.flatMap((change) => change.added)).toContain(replaced?.id);
    const store = createCheckpointStore({ storage });
    expect((await collect(store.list())).map((record) => record.id)).not.toContain(old?.id);
    const opened = await store.open({ id: replaced?.id as string });
    expect(await text(opened.body)).toBe('retrained bytes');
  });

  it('rewrites in place a replaced payload whose time did not change (legacy entries)', async () => {
    const storage = await loadFixtureTree('legacy');
    const first = await indexCheckpoints({ storage });
    const key = 'generate/generate_20240501_120000.pkl';
    const old = first.created.find((item) => item.payloadKey === key);
    await storage.put(key, 'other pickle');
    const second = await indexCheckpoints({ storage });
    expect(second.replaced.map((item) => [item.id, item.replacedIds])).toEqual([[old?.id, []]]);
    const changes = await changesOf(storage, 'generate');
    expect(changes.at(-1)).toMatchObject({ rewritten: [old?.id] });
    const opened = await createCheckpointStore({ storage }).open({ id: old?.id as string });
    expect(await text(opened.body)).toBe('other pickle');
  });

  it('writes nothing in a dry run, and the plan names every sidecar', async () => {
    const storage = recordingWrites(await loadFixtureTree('legacy'));
    const report = await indexCheckpoints({ storage, dryRun: true });
    expect(storage.puts).toEqual([]);
    expect(report.dryRun).toBe(true);
    expect(report.created).toHaveLength(3);
    const plan = formatIndexPlan(report);
    for (const item of report.created) {
      expect(plan).toContain(
        `create    ${item.sidecarKey}  <- ${item.payloadKey} (legacy-pipeline)`,
      );
    }
    expect(plan).toContain('Dry run: would create 3, would rewrite 0, would replace 0');
    expect(plan).not.toContain('format: cairn.checkpoint/v1');
    const verbose = formatIndexPlan(report, { verbose: true });
    expect(verbose).toContain('    format: cairn.checkpoint/v1');
    expect(verbose).toContain(`    id: ${report.created[0]?.id}`);
    // What the dry run planned is what a real run then does.
    const real = await indexCheckpoints({ storage });
    expect(real.created.map((item) => item.id)).toEqual(report.created.map((item) => item.id));
  });

  it('prints unchanged, skipped with reasons, and replacements in the plan', async () => {
    const storage = await loadFixtureTree('safetensors');
    await indexCheckpoints({ storage });
    const plan = formatIndexPlan(await indexCheckpoints({ storage, dryRun: true }));
    expect(plan).toMatch(
      /^unchanged checkpoints\/indexed\/.*<- model\.safetensors \(safetensors\)$/m,
    );
    expect(plan).toMatch(
      /^skipped {3}truncated-header\.safetensors {2}\(lightning: .*; safetensors: .*not valid JSON.*\)$/m,
    );
  });

  it('stops with ABORTED and leaves no half-written sidecar', async () => {
    const storage = recordingWrites(await loadFixtureTree('lightning'));
    const controller = new AbortController();
    controller.abort(new Error('stop'));
    const early = await indexCheckpoints({ storage, signal: controller.signal }).catch(
      (error: unknown) => error,
    );
    expect(isCairnError(early, 'ABORTED')).toBe(true);
    expect(storage.puts).toEqual([]);

    // Cancel right after the first sidecar is written.
    const midway = new AbortController();
    const cancelling: Storage = {
      ...storage,
      put: async (key, body, options) => {
        const info = await storage.put(key, body, options);
        if (key.endsWith('/checkpoint.yaml')) midway.abort(new Error('stop'));
        return info;
      },
    };
    const late = await indexCheckpoints({ storage: cancelling, signal: midway.signal }).catch(
      (error: unknown) => error,
    );
    expect(isCairnError(late, 'ABORTED')).toBe(true);
    const written = storage.puts.filter((key) => key.endsWith('/checkpoint.yaml'));
    expect(written).toHaveLength(1);
    // The one written is whole, and a run to the end completes the rest.
    expect(await collect(createCheckpointStore({ storage }).list())).toHaveLength(1);
    const rest = await indexCheckpoints({ storage });
    expect([rest.created.length, rest.unchanged.length]).toEqual([4, 1]);
  });

  it('removes, after a change record, the sidecar of a payload deleted since (a dry run only says so)', async () => {
    const storage = recordingWrites(await loadFixtureTree('lightning'));
    const first = await indexCheckpoints({ storage });
    const gone = first.created.find((item) => item.payloadKey === step200);
    if (gone === undefined) throw new Error('fixture');
    await storage.delete(step200);
    const dry = await indexCheckpoints({ storage, dryRun: true });
    expect(dry.removed.map((item) => item.id)).toEqual([gone.id]);
    expect(formatIndexPlan(dry)).toContain(`remove    ${gone.sidecarKey}  <- ${step200}`);
    expect(await storage.head(gone.sidecarKey)).toBeDefined();
    const second = await indexCheckpoints({ storage });
    expect(second.removed.map((item) => item.id)).toEqual([gone.id]);
    expect(await storage.head(gone.sidecarKey)).toBeUndefined();
    const changes = await changesOf(storage, gone.record.step);
    expect(changes.at(-1)).toMatchObject({ removed: [gone.id] });
    const listed = await collect(createCheckpointStore({ storage }).list());
    expect(listed.map((record) => record.id)).not.toContain(gone.id);
    expect(listed).toHaveLength(first.created.length - 1);
    // Sidecars of other payloads, and of payloads outside the prefix, are never removed.
    const third = await indexCheckpoints({ storage, prefix: 'nowhere/' });
    expect(third.removed).toEqual([]);
  });
});
