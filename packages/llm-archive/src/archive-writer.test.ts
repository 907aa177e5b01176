import { appendFile, readFile, rm, truncate, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { genesisHash, lineHash } from './archive-entry.js';
import { archivePaths } from './archive-layout.js';
import { ArchiveWriter } from './archive-writer.js';
import { entryFields, temporaryDirectory, testRun } from './testing/archive-fixtures.js';
import { verifyArchive } from './verify-archive.js';

const response = (text: string) => Buffer.from(JSON.stringify({ text }));

async function writeSome(
  directory: string,
  count: number,
  durability: 'fsync' | 'batched' | 'none' = 'fsync',
) {
  const writer = await ArchiveWriter.open(directory, testRun, durability);
  const entries = [];
  for (let index = 0; index < count; index += 1) {
    entries.push(await writer.record(entryFields(`call-${index}`), response(`answer ${index}`)));
  }
  await writer.close();
  return entries;
}

async function indexLines(directory: string): Promise<string[]> {
  return (await readFile(archivePaths(directory, testRun).index, 'utf8')).split('\n').slice(0, -1);
}

describe('the archive writer', () => {
  it('chains entries from the genesis hash, stores each response under its digest, and continues after reopening', async () => {
    const directory = await temporaryDirectory();
    const first = await writeSome(directory, 3);
    expect(first.map((entry) => entry.seq)).toEqual([1, 2, 3]);
    expect(first[0]?.prev).toBe(genesisHash(testRun));
    const lines = await indexLines(directory);
    expect(first[1]?.prev).toBe(lineHash(lines[0] as string));
    expect(first[2]?.prev).toBe(lineHash(lines[1] as string));
    const stored = await readFile(
      join(archivePaths(directory, testRun).folder, first[2]?.response as string),
      'utf8',
    );
    expect(JSON.parse(stored)).toEqual({ text: 'answer 2' });

    const writer = await ArchiveWriter.open(directory, testRun, 'fsync');
    expect(writer.existing).toHaveLength(3);
    expect(writer.repair).toBeUndefined();
    const fourth = await writer.record(entryFields('call-3'), response('answer 3'));
    await writer.close();
    expect(fourth).toMatchObject({ seq: 4, prev: lineHash(lines[2] as string) });
    expect(await verifyArchive(directory, testRun)).toEqual({
      ok: true,
      run: testRun,
      verifiedEntries: 4,
    });
  });

  it('keeps lines in chain order when many calls record at once, at every durability level', async () => {
    for (const durability of ['fsync', 'batched', 'none'] as const) {
      const directory = await temporaryDirectory();
      const writer = await ArchiveWriter.open(directory, testRun, durability);
      const entries = await Promise.all(
        Array.from({ length: 64 }, (_, index) =>
          writer.record(entryFields(`call-${index}`), response(`answer ${index}`)),
        ),
      );
      await writer.close();
      expect(
        entries.map((entry) => entry.seq).sort((a, b) => a - b),
        durability,
      ).toEqual(Array.from({ length: 64 }, (_, index) => index + 1));
      expect(await verifyArchive(directory, testRun), durability).toMatchObject({
        ok: true,
        verifiedEntries: 64,
      });
    }
  });

  it('cuts off a torn last line on open, and says so', async () => {
    const directory = await temporaryDirectory();
    await writeSome(directory, 3);
    const { index } = archivePaths(directory, testRun);
    await appendFile(index, '{"seq":4,"prev":"ab');
    expect((await verifyArchive(directory, testRun)).firstBad).toMatchObject({
      seq: 4,
      atEnd: true,
      part: 'index',
    });
    const writer = await ArchiveWriter.open(directory, testRun, 'fsync');
    expect(writer.repair).toMatchObject({ removedEntries: 1, removedBytes: 19 });
    expect(writer.repair?.reason).toContain('incomplete');
    expect((await writer.record(entryFields('call-3'), response('again'))).seq).toBe(4);
    await writer.close();
    expect(await verifyArchive(directory, testRun)).toMatchObject({ ok: true, verifiedEntries: 4 });
  });

  it('drops entries at the end whose response never landed (a machine crash with batched writes)', async () => {
    const directory = await temporaryDirectory();
    const entries = await writeSome(directory, 4, 'batched');
    const { folder } = archivePaths(directory, testRun);
    await rm(join(folder, entries[3]?.response as string));
    await writeFile(join(folder, entries[2]?.response as string), '');
    const writer = await ArchiveWriter.open(directory, testRun, 'batched');
    expect(writer.existing).toHaveLength(2);
    expect(writer.repair).toMatchObject({ removedEntries: 2 });
    await writer.close();
    expect(await verifyArchive(directory, testRun)).toMatchObject({ ok: true, verifiedEntries: 2 });
  });

  it('finds the first bad entry after an edit, a deletion, a reordering or a cut in the middle, and refuses to append', async () => {
    const cases: [string, (lines: string[]) => string[], number][] = [
      [
        'edit',
        (lines) =>
          lines.map((line, index) =>
            index === 2 ? line.replace('"latencyMs":12.5', '"latencyMs":1.5') : line,
          ),
        4,
      ],
      ['deletion', (lines) => lines.filter((_, index) => index !== 1), 2],
      ['reordering', (lines) => [lines[0], lines[2], lines[1], ...lines.slice(3)] as string[], 2],
      [
        'cut in the middle',
        (lines) => [...lines.slice(0, 2), (lines[2] as string).slice(0, 40), ...lines.slice(3)],
        3,
      ],
    ];
    for (const [what, change, firstBad] of cases) {
      const directory = await temporaryDirectory();
      await writeSome(directory, 5);
      const lines = await indexLines(directory);
      await writeFile(archivePaths(directory, testRun).index, `${change(lines).join('\n')}\n`);
      const verification = await verifyArchive(directory, testRun);
      expect(verification.ok, what).toBe(false);
      expect(verification.firstBad?.seq, what).toBe(firstBad);
      expect(verification.firstBad?.atEnd, what).toBe(false);
      await expect(ArchiveWriter.open(directory, testRun, 'fsync'), what).rejects.toMatchObject({
        code: 'CORRUPT_DATA',
      });
    }
  });

  it('names the entry whose response object was edited or removed', async () => {
    const directory = await temporaryDirectory();
    const entries = await writeSome(directory, 3);
    const { folder } = archivePaths(directory, testRun);
    await writeFile(join(folder, entries[1]?.response as string), '{"text":"forged"}');
    const verification = await verifyArchive(directory, testRun);
    expect(verification).toMatchObject({
      ok: false,
      verifiedEntries: 1,
      firstBad: { seq: 2, part: 'response' },
    });
    expect(verification.firstBad?.reason).toContain('(edited)');
    await truncate(archivePaths(directory, testRun).index, 0);
    expect(await verifyArchive(directory, testRun)).toMatchObject({ ok: true, verifiedEntries: 0 });
  });
});

describe('bad entries', () => {
  it('are refused with a clear error before anything is written', async () => {
    const directory = await temporaryDirectory();
    const writer = await ArchiveWriter.open(directory, testRun, 'fsync');
    await expect(
      writer.record({ ...entryFields('call'), item: -1 }, response('x')),
    ).rejects.toMatchObject({
      code: 'INVALID_OPTIONS',
      message: expect.stringContaining('not valid at "item"'),
    });
    await writer.close();
    expect(await verifyArchive(directory, testRun)).toMatchObject({ ok: true, verifiedEntries: 0 });
  });
});
