import { linkSync, mkdirSync, writeFileSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { compareKeys } from '@cairn/kernel';
import { describe, expect, it } from 'vitest';
import { nodeFileSystem } from './file-system.js';
import { createFsStorage } from './index.js';
import { temporaryRoot } from './testing/temporary-root.js';

const folders = 100;
const filesPerFolder = 1000;
const total = folders * filesPerFolder;

// Files are made directly, not through put: the point is the listing, and 100 000 puts with
// fsync would take minutes. Creating a file costs about a millisecond on some machines, so
// one folder is written and the other 99 are hard links to its files (a link is a single
// cheap call, and the listing treats each name as its own object).
function writeTree(root: string): void {
  const folderPath = (folder: number) =>
    join(root, 'runs', `run-${String(folder).padStart(3, '0')}`);
  const fileName = (file: number) => `item-${String(file).padStart(4, '0')}.json`;
  mkdirSync(folderPath(0), { recursive: true });
  for (let file = 0; file < filesPerFolder; file++) {
    writeFileSync(join(folderPath(0), fileName(file)), '{}');
  }
  for (let folder = 1; folder < folders; folder++) {
    mkdirSync(folderPath(folder));
    for (let file = 0; file < filesPerFolder; file++) {
      linkSync(join(folderPath(0), fileName(file)), join(folderPath(folder), fileName(file)));
    }
  }
}

describe('fs listing at scale', () => {
  it('lists 100 000 keys in order, reading folders as it goes rather than all up front', async () => {
    const root = await temporaryRoot();
    writeTree(root);
    let entriesRead = 0;
    const storage = createFsStorage(
      { root },
      {
        fileSystem: {
          ...nodeFileSystem,
          readdir: (async (...parameters: Parameters<typeof readdir>) => {
            const entries = await readdir(...parameters);
            entriesRead += entries.length;
            return entries;
          }) as typeof nodeFileSystem.readdir,
        },
      },
    );
    let count = 0;
    let previous: string | undefined;
    let readAtHalfway = 0;
    for await (const info of storage.list({ prefix: 'runs/' })) {
      if (previous !== undefined && compareKeys(previous, info.key) >= 0) {
        throw new Error(`out of order: "${previous}" before "${info.key}"`);
      }
      expect(info.size).toBe(2);
      previous = info.key;
      count += 1;
      if (count === total / 2) readAtHalfway = entriesRead;
    }
    expect(count).toBe(total);
    expect(previous).toBe('runs/run-099/item-0999.json');
    // Halfway through, about half the folders were read: never the whole tree at once.
    expect(readAtHalfway).toBeLessThan(total / 2 + 2 * filesPerFolder + folders + 10);
    expect(entriesRead).toBeGreaterThanOrEqual(total + folders);

    // A page deep inside the listing starts where the cursor says, without reading it all.
    entriesRead = 0;
    const page = await storage.listPage({ startAfter: 'runs/run-057/item-0998.json', pageSize: 3 });
    expect(page.objects.map((info) => info.key)).toEqual([
      'runs/run-057/item-0999.json',
      'runs/run-058/item-0000.json',
      'runs/run-058/item-0001.json',
    ]);
    expect(entriesRead).toBeLessThan(3 * filesPerFolder + folders + 10);
  });
});
