import { describe, expect, it } from 'vitest';
import type { IndexedSidecar } from './catalog-index-format.js';
import { SegmentMemory } from './step-index-store.js';

const entries = (count: number): IndexedSidecar[] =>
  Array.from({ length: count }, (_, index) => ({ id: `fit/${index}`, etag: 'e', damaged: 'x' }));

describe('SegmentMemory', () => {
  it('keeps segments until its limit of sidecars, then only reports what it kept', () => {
    const memory = new SegmentMemory(5);
    memory.remember('a', entries(3));
    memory.remember('b', entries(3));
    memory.remember('c', entries(2));
    expect(memory.get('a')).toHaveLength(3);
    expect(memory.get('b')).toBeUndefined();
    expect(memory.get('c')).toHaveLength(2);
  });

  it('holds everything when there is no stored index to read back from', () => {
    const base = { storage: {} as never, logger: {} as never, segmentSize: 16, readConcurrency: 1 };
    const unbounded = SegmentMemory.for({ ...base, writeIndex: false });
    unbounded.remember('big', entries(50_000));
    expect(unbounded.get('big')).toHaveLength(50_000);
    const bounded = SegmentMemory.for({ ...base, writeIndex: true });
    bounded.remember('big', entries(50_000));
    expect(bounded.get('big')).toBeUndefined();
  });
});
