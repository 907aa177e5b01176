import { describe, expect, it } from 'vitest';
import { isCairnError } from '../errors/cairn-error.js';
import type { CheckpointRecord } from './checkpoint-record.js';
import {
  decideRetention,
  keepBest,
  keepEvery,
  keepLast,
  retentionRuleSchema,
  validateRetentionRules,
} from './retention.js';

function record(
  index: number,
  metrics: Record<string, number> = {},
  sequence?: number,
): CheckpointRecord {
  return {
    format: 'cairn.checkpoint/v1',
    id: `train/20250810T1430${String(index).padStart(2, '0')}.000Z-aaaaaa`,
    run: 'research/20250810T143000.000Z-bbbbbb',
    step: 'train',
    createdAt: new Date(index * 1000).toISOString(),
    size: 10 * index,
    sha256: '0'.repeat(64),
    codec: 'json',
    contentType: 'application/json',
    metadata: {},
    metrics,
    tags: [],
    ...(sequence === undefined ? { sequence: index } : { sequence }),
  };
}

const records = (count: number) => Array.from({ length: count }, (_, index) => record(index + 1));
const position = (id: string) => Number(/T1430(\d\d)/.exec(id)?.[1]);

function keptPositions(decision: ReturnType<typeof decideRetention>): number[] {
  return decision.kept.map((entry) => position(entry.record.id));
}

function thrown(action: () => unknown) {
  try {
    action();
  } catch (error) {
    if (isCairnError(error)) return error;
  }
  throw new Error('expected a CairnError');
}

describe('retention rules', () => {
  it('keepLast keeps the newest n', () => {
    const decision = decideRetention(records(6), [keepLast(2)], new Set());
    expect(keptPositions(decision)).toEqual([5, 6]);
    expect(decision.deleted.map((entry) => position(entry.id))).toEqual([1, 2, 3, 4]);
    expect(decision.kept[0]?.reasons).toEqual(['keepLast(2)']);
  });

  it('keepLast with more than there are keeps everything', () => {
    expect(decideRetention(records(3), [keepLast(10)], new Set()).deleted).toEqual([]);
  });

  it('keepBest keeps the lowest values for min and the highest for max', () => {
    const losses = [0.9, 0.2, 0.5, 0.1, 0.7].map((loss, index) => record(index + 1, { loss }));
    expect(keptPositions(decideRetention(losses, [keepBest(2, 'loss', 'min')], new Set()))).toEqual(
      [2, 4],
    );
    expect(keptPositions(decideRetention(losses, [keepBest(2, 'loss', 'max')], new Set()))).toEqual(
      [1, 5],
    );
  });

  it('keepBest breaks ties in favour of the newer checkpoint', () => {
    const tied = [0.5, 0.5, 0.5].map((f1, index) => record(index + 1, { f1 }));
    expect(keptPositions(decideRetention(tied, [keepBest(1, 'f1', 'max')], new Set()))).toEqual([
      3,
    ]);
  });

  it('keepBest keeps checkpoints lacking the metric, saying why', () => {
    const mixed = [
      record(1, { loss: 0.3 }),
      record(2),
      record(3, { loss: 0.1 }),
      record(4, { other: 1 }),
    ];
    const decision = decideRetention(mixed, [keepBest(1, 'loss', 'min')], new Set());
    expect(keptPositions(decision)).toEqual([2, 3, 4]);
    expect(decision.kept[0]?.reasons).toEqual([
      `keepBest(1, "loss", 'min'): has no "loss" metric to rank by`,
    ]);
  });

  it('keepEvery keeps the n-th, 2n-th … by recorded sequence', () => {
    expect(keptPositions(decideRetention(records(10), [keepEvery(3)], new Set()))).toEqual([
      3, 6, 9,
    ]);
  });

  it('keepEvery keeps the same checkpoints when pruning again after earlier prunes', () => {
    // Survivors of an earlier keepEvery(2) prune plus two new saves: positions shifted, sequences did not.
    const survivors = [2, 4, 6, 8, 10, 11, 12].map((index) => record(index));
    expect(keptPositions(decideRetention(survivors, [keepEvery(2)], new Set()))).toEqual([
      2, 4, 6, 8, 10, 12,
    ]);
  });

  it('keepEvery falls back to the position for sidecars without a sequence', () => {
    const foreign = records(4).map(({ sequence: _sequence, ...rest }) => rest as CheckpointRecord);
    expect(keptPositions(decideRetention(foreign, [keepEvery(2)], new Set()))).toEqual([2, 4]);
  });

  it('keeps what any rule keeps, with every reason', () => {
    const losses = [0.1, 0.9, 0.8, 0.7, 0.6, 0.5].map((loss, index) => record(index + 1, { loss }));
    const decision = decideRetention(
      losses,
      [keepLast(1), keepBest(1, 'loss', 'min'), keepEvery(3)],
      new Set([losses[1]?.id ?? '']),
    );
    expect(decision.kept.map((entry) => [position(entry.record.id), entry.reasons])).toEqual([
      [1, [`keepBest(1, "loss", 'min')`]],
      [2, ['protected']],
      [3, ['keepEvery(3)']],
      [6, ['keepLast(1)', 'keepEvery(3)']],
    ]);
    expect(decision.deleted.map((entry) => position(entry.id))).toEqual([4, 5]);
  });

  it('protected checkpoints are kept even when no rule keeps them', () => {
    const all = records(3);
    const decision = decideRetention(all, [keepLast(1)], new Set([all[0]?.id ?? '']));
    expect(keptPositions(decision)).toEqual([1, 3]);
  });

  it('helpers refuse counts that are not positive integers, and bad orders', () => {
    expect(thrown(() => keepLast(0)).code).toBe('INVALID_OPTIONS');
    expect(thrown(() => keepLast(1.5)).message).toContain('count');
    expect(thrown(() => keepEvery(-2)).message).toContain('interval');
    expect(thrown(() => keepBest(1, '', 'min')).message).toContain('metric');
    expect(thrown(() => keepBest(1, 'loss', 'lowest' as 'min')).message).toContain('order');
  });

  it('rules are plain JSON that survive a round trip through the schema', () => {
    const rules = [keepLast(3), keepBest(2, 'f1', 'max'), keepEvery(5)];
    expect(
      rules.map((rule) => retentionRuleSchema.parse(JSON.parse(JSON.stringify(rule)))),
    ).toEqual(rules);
    expect(retentionRuleSchema.safeParse({ kind: 'last', count: 2, extra: true }).success).toBe(
      false,
    );
  });

  it('an empty rule list is refused: it would delete everything', () => {
    const error = thrown(() => validateRetentionRules([]));
    expect(error.code).toBe('INVALID_OPTIONS');
    expect(error.message).toContain('every checkpoint would be deleted');
    expect(thrown(() => validateRetentionRules(undefined)).code).toBe('INVALID_OPTIONS');
    expect(thrown(() => validateRetentionRules([{ kind: 'first', count: 1 }])).message).toContain(
      'Invalid retention rule',
    );
  });
});
