import { describe, expect, it } from 'vitest';
import { expectCairnError } from '../testing/rejection.js';
import {
  checkpointId,
  checkpointKeys,
  formatSequence,
  parseCheckpointId,
  parseRunId,
  pipelineRunsPrefix,
  runId,
  runKeys,
  sequenceOfKey,
  shardKeys,
  shardNameKey,
  shardTombstoneKey,
  stepCheckpointsPrefix,
} from './layout.js';
import { validateName } from './names.js';

const stamp = '20250810T143022.123Z-k3f9a2';

describe('storage layout', () => {
  it('puts a checkpoint under its step, sidecar beside payload', () => {
    const id = checkpointId('candidate_generation', stamp);
    expect(id).toBe(`candidate_generation/${stamp}`);
    expect(checkpointKeys(id)).toEqual({
      sidecar: `checkpoints/candidate_generation/${stamp}/checkpoint.yaml`,
      payload: `checkpoints/candidate_generation/${stamp}/payload`,
    });
    expect(stepCheckpointsPrefix('candidate_generation')).toBe('checkpoints/candidate_generation/');
    expect(parseCheckpointId(id)).toEqual({ step: 'candidate_generation', timeId: stamp });
  });

  it('keeps the shards of a sharded checkpoint outside the step listing, ranks sorting numerically', () => {
    const id = checkpointId('train', stamp);
    const rank = shardKeys(id, 12);
    expect(rank.record).toBe(`checkpoint-shards/train/${stamp}/00012/shard.yaml`);
    expect(rank.payload(stamp)).toBe(`checkpoint-shards/train/${stamp}/00012/payload-${stamp}`);
    expect(shardKeys(id, 2).record < rank.record).toBe(true);
    expect(shardTombstoneKey(id)).toBe(`checkpoint-shards/train/${stamp}/pruned.yaml`);
    expect(shardNameKey('train', runId('research', stamp), 'step-1000')).toBe(
      `checkpoint-shards/train/names/research/${stamp}/step-1000.yaml`,
    );
    expectCairnError(() => shardKeys(id, -1), 'INVALID_OPTIONS');
    expectCairnError(
      () => shardNameKey('train', runId('research', stamp), '../x'),
      'INVALID_OPTIONS',
    );
  });

  it('keeps everything of a run under its folder', () => {
    const id = runId('research', stamp);
    const keys = runKeys(id);
    expect(keys.record).toBe(`runs/research/${stamp}/run.json`);
    expect(keys.journalSegment(3)).toBe(`runs/research/${stamp}/journal/000000000003.jsonl`);
    expect(keys.step('generate').item(12)).toBe(
      `runs/research/${stamp}/steps/generate/items/000000000000/000000000012.json`,
    );
    expect(keys.step('generate').item(123_456)).toBe(
      `runs/research/${stamp}/steps/generate/items/000000000123/000000123456.json`,
    );
    expect(keys.errorRecord(stamp)).toBe(`runs/research/${stamp}/errors/${stamp}.yaml`);
    expect(pipelineRunsPrefix('research')).toBe('runs/research/');
    expect(parseRunId(id)).toEqual({ pipeline: 'research', timeId: stamp });
  });

  it('pads sequence numbers so keys sort numerically, and reads them back', () => {
    const keys = [9, 10, 100, 2].map((sequence) => `a/${formatSequence(sequence)}.json`);
    expect([...keys].sort().map(sequenceOfKey)).toEqual([2, 9, 10, 100]);
    expectCairnError(() => formatSequence(-1), 'INVALID_OPTIONS');
  });

  it('refuses malformed ids with an example of a good one', () => {
    const error = expectCairnError(() => parseRunId('research'), 'INVALID_OPTIONS');
    expect(error.message).toContain('"<pipeline>/<time id>"');
    expectCairnError(() => parseCheckpointId('step/2025'), 'INVALID_OPTIONS');
    expectCairnError(() => checkpointKeys(`../x/${stamp}`), 'INVALID_OPTIONS');
  });
});

describe('names', () => {
  it('accepts ordinary step and pipeline names', () => {
    for (const name of ['generate', 'candidate_generation', 'eval-v2', 'step.1', 'A9']) {
      expect(() => validateName('step', name)).not.toThrow();
    }
  });

  it('refuses names that would break keys, and suggests a fix', () => {
    const error = expectCairnError(() => validateName('step', 'my step/1'), 'INVALID_OPTIONS');
    expect(error.message).toContain('"my step/1"');
    expect(error.message).toContain('"my_step_1"');
    for (const name of ['', '.hidden', '-x', 'a'.repeat(101), 'x.cairn-object', '..']) {
      expectCairnError(() => validateName('pipeline', name), 'INVALID_OPTIONS');
    }
  });
});
