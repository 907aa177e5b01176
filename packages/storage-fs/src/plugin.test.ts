import { join } from 'node:path';
import { silentLogger } from '@cairn/kernel';
import { describe, expect, it } from 'vitest';
import { type FsStorage, plugin } from './index.js';
import { temporaryRoot } from './testing/temporary-root.js';

describe('fs plugin manifest', () => {
  it('declares a storage plugin named fs with the options schema', () => {
    expect(plugin.kind).toBe('storage');
    expect(plugin.name).toBe('fs');
    expect(plugin.optionsSchema.safeParse({ root: 'x' }).success).toBe(true);
    expect(plugin.optionsSchema.safeParse({}).success).toBe(false);
  });

  it('resolves a relative root from the project directory, and keeps an absolute one', async () => {
    const projectDirectory = await temporaryRoot();
    const context = { projectDirectory, logger: silentLogger };
    const options = plugin.optionsSchema.parse({ root: '.cairn/store' });
    const relative = (await plugin.create(options, context)) as FsStorage;
    expect(relative.root).toBe(join(projectDirectory, '.cairn/store'));
    await relative.put('k', 'v');
    expect(await relative.head('k')).toMatchObject({ size: 1 });
    const elsewhere = await temporaryRoot();
    const absolute = (await plugin.create(
      plugin.optionsSchema.parse({ root: elsewhere, fsync: false }),
      context,
    )) as FsStorage;
    expect(absolute.root).toBe(elsewhere);
  });
});
