import { CairnError } from '../errors/cairn-error.js';
import { validateName } from '../naming/names.js';
import { maxWorldSize } from './checkpoint-record.js';
import type { SaveInput, SaveShardInput } from './checkpoint-store.js';
import { checkpointsBackend } from './checkpoints-backend.js';
import { type ValidSave, validateSaveInput } from './save-input.js';

/** A shard save's input once checked. */
export interface ValidShardSave extends ValidSave {
  /** The name every rank gives the checkpoint. */
  readonly name: string;
  /** This rank. */
  readonly rank: number;
  /** How many ranks write it. */
  readonly worldSize: number;
}

function invalid(message: string): CairnError {
  return new CairnError({ code: 'INVALID_OPTIONS', backend: checkpointsBackend, message });
}

/**
 * Checks everything a shard save takes before anything is written.
 * @throws CairnError `INVALID_OPTIONS` saying which field is wrong.
 */
export function validateShardInput(input: SaveShardInput): ValidShardSave {
  if (typeof input !== 'object' || input === null) {
    throw invalid('saveShard() takes an object: { run, step, name, rank, worldSize, state }.');
  }
  if (input.lease !== undefined) {
    throw invalid(
      'saveShard() takes no `lease`: the ranks of a sharded checkpoint do not hold the run lease. Save without it.',
    );
  }
  validateName('checkpoint name', input.name);
  const { worldSize, rank } = input;
  if (!Number.isSafeInteger(worldSize) || worldSize < 1 || worldSize > maxWorldSize) {
    throw invalid(
      `\`worldSize\` is ${String(worldSize)}; it must be a whole number from 1 to ${maxWorldSize} (how many ranks write the checkpoint).`,
    );
  }
  if (!Number.isSafeInteger(rank) || rank < 0 || rank >= worldSize) {
    throw invalid(
      `\`rank\` is ${String(rank)}; with worldSize ${worldSize} it must be a whole number from 0 to ${worldSize - 1}.`,
    );
  }
  const save = validateSaveInput(input as SaveInput);
  // The checkpoint's metadata, metrics and tags are rank 0's; the others' are not stored.
  const labels = rank === 0 ? {} : { metadata: {}, metrics: {}, tags: [] };
  return { ...save, ...labels, name: input.name, rank, worldSize };
}
