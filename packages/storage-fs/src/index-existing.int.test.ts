import { cp } from 'node:fs/promises';
import { join } from 'node:path';
import { text } from 'node:stream/consumers';
import { fileURLToPath } from 'node:url';
import {
  createCatalog,
  createCheckpointStore,
  formatIndexPlan,
  indexCheckpoints,
} from '@cairn/kernel';
import { describe, expect, it } from 'vitest';
import { createFsStorage } from './index.js';
import { filesBelow, temporaryRoot } from './testing/temporary-root.js';

// `index` pointed at a real folder another tool wrote: the kernel's fixture trees copied to
// disk, read through the fs storage.

const fixtures = fileURLToPath(new URL('../../kernel/src/indexing/fixtures/', import.meta.url));

describe('indexing a folder Cairn did not write', () => {
  it('writes sidecars beside the files, lists and opens them, and a second run writes nothing', async () => {
    const root = await temporaryRoot();
    for (const tree of ['lightning', 'hydra', 'safetensors', 'legacy']) {
      await cp(join(fixtures, tree), join(root, tree), { recursive: true });
    }
    const before = await filesBelow(root);
    const storage = createFsStorage({ root });

    const plan = await indexCheckpoints({ storage, dryRun: true });
    expect(await filesBelow(root)).toEqual(before);
    const report = await indexCheckpoints({ storage });
    expect(report.created.map((item) => item.id)).toEqual(plan.created.map((item) => item.id));
    expect(report.created.map((item) => item.source).sort()).toEqual([
      'hydra',
      'legacy-pipeline',
      'legacy-pipeline',
      'legacy-pipeline',
      'lightning',
      'lightning',
      'lightning',
      'lightning',
      'lightning',
      'safetensors',
    ]);
    expect(report.skipped.map((item) => item.payloadKey)).toEqual([
      'safetensors/header-past-end.safetensors',
      'safetensors/truncated-header.safetensors',
    ]);
    // Nothing but Cairn's own folders was added; no file another tool wrote was touched.
    const added = (await filesBelow(root)).filter((file) => !before.includes(file));
    expect(added.filter((file) => !/^(\.cairn-meta\/)?(checkpoints|catalog)\//.test(file))).toEqual(
      [],
    );
    expect((await filesBelow(root)).filter((file) => before.includes(file))).toEqual(before);

    const entries = [];
    for await (const entry of createCatalog({ storage }).checkpoints({ step: 'generate' }))
      entries.push(entry);
    expect(entries.map((entry) => entry.metadata.verificationPassed)).toEqual([true]);
    const model = report.created.find((item) => item.source === 'hydra');
    const opened = await createCheckpointStore({ storage }).open({ id: model?.id as string });
    expect(await text(opened.body)).toContain('torch stand-in');

    const again = await indexCheckpoints({ storage: createFsStorage({ root }) });
    expect(again.unchanged).toHaveLength(10);
    expect(formatIndexPlan(again)).toMatch(
      /created 0, rewrote 0, replaced 0, unchanged 10, removed 0, skipped 2\./,
    );
  });
});
