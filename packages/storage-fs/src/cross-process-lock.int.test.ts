import { readAll } from '@cairn/kernel';
import { describe, expect, it } from 'vitest';
import { createFsStorage } from './index.js';
import { startStorageChild } from './testing/run-child.js';
import { filesBelow, temporaryRoot } from './testing/temporary-root.js';

describe('conditional writes across processes', () => {
  it('three processes incrementing one counter with ifMatch lose no update', async () => {
    const root = await temporaryRoot();
    const processes = 3;
    const incrementsEach = 25;
    const children = Array.from({ length: processes }, () =>
      startStorageChild(['increment', root, 'counters/shared', String(incrementsEach)]),
    );
    const reports = await Promise.all(children.map((child) => child.firstReport));
    for (const [index, child] of children.entries()) {
      expect(await child.exited, child.errors()).toEqual({ code: 0, signal: null });
      expect(reports[index]).toMatchObject({ incremented: incrementsEach });
    }
    const storage = createFsStorage({ root });
    const { body } = await storage.get('counters/shared');
    expect(Number((await readAll(body)).toString())).toBe(processes * incrementsEach);
    // No temporary file or lock outlived its writer.
    expect(await filesBelow(root)).toEqual(['.cairn-meta/counters/shared', 'counters/shared']);
  });
});
