import { describe, expect, it } from 'vitest';
import { storeOver, testRun } from '../testing/checkpoints-fixtures.js';

describe('save and load', () => {
  it('round-trips JSON state', async () => {
    const { store } = storeOver();
    const state = { answers: ['a', 'b'], count: 2, nested: { ok: true, none: null } };
    const saved = await store.save({ run: testRun, step: 'generate', state });
    const loaded = await store.load({ id: saved.id });
    expect(loaded.state).toEqual(state);
    expect(loaded.record).toEqual(saved);
    expect(loaded.problems).toEqual([]);
  });
});
