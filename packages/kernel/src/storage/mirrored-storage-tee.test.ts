import { Readable } from 'node:stream';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { readAll } from './body.js';
import { teeStream } from './mirrored-storage-tee.js';

function chunks(count: number) {
  const state = { produced: 0 };
  const stream = new Readable({
    read() {
      state.produced += 1;
      this.push(state.produced > count ? null : Buffer.alloc(1024, state.produced));
    },
  });
  return { stream, state };
}

describe('teeStream', () => {
  it('gives every branch every byte', async () => {
    const tee = teeStream(Readable.from([Buffer.from('ab'), Buffer.from('cd')]), 3);
    const results = await Promise.all(tee.branches.map((branch) => readAll(branch)));
    expect(results.map((bytes) => bytes.toString())).toEqual(['abcd', 'abcd', 'abcd']);
  });

  it('holds the source while one branch is not read, and lets go once it is detached', async () => {
    const { stream, state } = chunks(500);
    const tee = teeStream(stream, 2);
    const reading = readAll(tee.branches[0] as Readable);
    for (let turn = 0; turn < 50; turn++) await nextTurn();
    expect(state.produced).toBeLessThan(50);
    tee.detach(1);
    tee.detach(1);
    expect((await reading).length).toBe(500 * 1024);
    expect(tee.branches[1]?.destroyed).toBe(true);
  });

  it('destroys the source when every branch is detached or destroyed by its reader', async () => {
    const { stream } = chunks(500);
    const tee = teeStream(stream, 2);
    tee.detach(0);
    tee.branches[1]?.destroy();
    await nextTurn();
    expect(stream.destroyed).toBe(true);
  });

  it('passes a source error to every branch, or ends them when asked to', async () => {
    const failing = () =>
      new Readable({
        read() {
          this.destroy(new Error('source broke'));
        },
      });
    const destroyed = teeStream(failing(), 2);
    for (const branch of destroyed.branches) {
      await expect(readAll(branch)).rejects.toThrow('source broke');
    }
    const ended = teeStream(failing(), 2, { endBranchesOnSourceError: true });
    for (const branch of ended.branches) expect((await readAll(branch)).length).toBe(0);
  });
});
