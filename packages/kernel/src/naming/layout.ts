import { CairnError } from '../errors/cairn-error.js';
import { validateName } from './names.js';
import { timeIdPattern } from './time-id.js';

/**
 * Where everything lives in a storage, in one place. Keys sort, so listing a prefix is the
 * index: runs of a pipeline and checkpoints of a step come back oldest first.
 *
 * ```
 * checkpoints/<step>/<time id>/payload              the bytes (written first)
 * checkpoints/<step>/<time id>/checkpoint.yaml      the sidecar: the commit marker (written last)
 * checkpoint-shards/<step>/<time id>/<rank>/payload-<write id>  one rank's shard of a sharded checkpoint
 * checkpoint-shards/<step>/<time id>/<rank>/shard.yaml           its shard record (create-only)
 * checkpoint-shards/<step>/<time id>/pruned.yaml                 tombstone of a pruned sharded checkpoint (never deleted)
 * checkpoint-shards/<step>/names/<pipeline>/<run time id>/<name>.yaml  the id a shared name got
 * runs/<pipeline>/<time id>/run.json                the run record (state, heartbeat, steps)
 * runs/<pipeline>/<time id>/journal/<n>.jsonl       journal segments, create-only, n from 1
 * runs/<pipeline>/<time id>/environment.yaml        environment capture
 * runs/<pipeline>/<time id>/environment/git.diff    the git diff (level 2 and up)
 * runs/<pipeline>/<time id>/environment/attempt-<n>.yaml, attempt-<n>.git.diff  a resumed attempt's
 * runs/<pipeline>/<time id>/errors/<time id>.yaml   one error record per failure
 * runs/<pipeline>/<time id>/steps/<step>/items/<n / 1000>/<n>.json  one record per finished item
 * runs/<pipeline>/<time id>/steps/<step>/item-segments/<n>.json  compact summaries of items
 * catalog/changes/checkpoints/<step>/<time id>.yaml  sidecars Cairn deleted or rewrote (create-only)
 * catalog/index/v1/checkpoints/<step>/head.json      the catalog's index of a step: its segments
 * catalog/index/v1/checkpoints/<step>/<first id>.json  one segment: entries of a range of ids
 * ```
 */
export const layout = {
  checkpointsRoot: 'checkpoints/',
  checkpointShardsRoot: 'checkpoint-shards/',
  shardRecordName: 'shard.yaml',
  shardTombstoneName: 'pruned.yaml',
  runsRoot: 'runs/',
  checkpointSidecarName: 'checkpoint.yaml',
  checkpointPayloadName: 'payload',
  runRecordName: 'run.json',
  catalogRoot: 'catalog/',
} as const;

/** Prefix of the change records of the checkpoints of `step` (see `recordCatalogChange`). */
export function catalogChangesPrefix(step: string): string {
  validateName('step', step);
  return `${layout.catalogRoot}changes/checkpoints/${step}/`;
}

/** Prefix of the catalog's index of the checkpoints of `step`: its head and segments. */
export function catalogIndexPrefix(step: string): string {
  validateName('step', step);
  return `${layout.catalogRoot}index/v1/checkpoints/${step}/`;
}

/** Width of the zero-padded sequence numbers in journal, item and segment keys. */
export const sequenceWidth = 12;

/**
 * Item records per folder. Records are grouped by sequence so that a resume finding the
 * records written after the last segment lists one small folder, not a folder of 100,000.
 */
export const itemsPerFolder = 1000;

/** A sequence number as it appears in keys: zero-padded so keys sort numerically. */
export function formatSequence(sequence: number): string {
  if (!Number.isSafeInteger(sequence) || sequence < 0) {
    throw new CairnError({
      code: 'INVALID_OPTIONS',
      message: `Sequence number ${sequence} is not a non-negative integer.`,
    });
  }
  return String(sequence).padStart(sequenceWidth, '0');
}

/** The sequence number at the end of a key made with {@link formatSequence}, or undefined. */
export function sequenceOfKey(key: string): number | undefined {
  const match = /\/(\d+)\.[a-z]+$/.exec(key);
  return match?.[1] === undefined ? undefined : Number(match[1]);
}

/** A checkpoint id split into its parts. */
export interface CheckpointIdParts {
  /** The step it belongs to. */
  readonly step: string;
  /** The time id that makes it unique and sortable. */
  readonly timeId: string;
}

/** A run id split into its parts. */
export interface RunIdParts {
  /** The pipeline (or run name) it belongs to. */
  readonly pipeline: string;
  /** The time id that makes it unique and sortable. */
  readonly timeId: string;
}

function parseId(
  kind: 'checkpoint' | 'run',
  id: string,
  example: string,
): { name: string; timeId: string } {
  const slash = typeof id === 'string' ? id.indexOf('/') : -1;
  const name = slash > 0 ? id.slice(0, slash) : '';
  const timeId = slash > 0 ? id.slice(slash + 1) : '';
  if (slash <= 0 || !timeIdPattern.test(timeId)) {
    throw new CairnError({
      code: 'INVALID_OPTIONS',
      message: `${JSON.stringify(id)} is not a ${kind} id. A ${kind} id is "<${kind === 'run' ? 'pipeline' : 'step'}>/<time id>", e.g. "${example}"; list ${kind}s to see the ids that exist.`,
      details: { id },
    });
  }
  validateName(kind === 'run' ? 'pipeline' : 'step', name);
  return { name, timeId };
}

/** Makes a checkpoint id, `<step>/<time id>`. */
export function checkpointId(step: string, timeId: string): string {
  validateName('step', step);
  return `${step}/${timeId}`;
}

/**
 * Splits a checkpoint id.
 * @throws CairnError `INVALID_OPTIONS` when it is not `<step>/<time id>`.
 */
export function parseCheckpointId(id: string): CheckpointIdParts {
  const { name, timeId } = parseId('checkpoint', id, 'generate/20250810T143022.123Z-k3f9a2');
  return { step: name, timeId };
}

/** Makes a run id, `<pipeline>/<time id>`. */
export function runId(pipeline: string, timeId: string): string {
  validateName('pipeline', pipeline);
  return `${pipeline}/${timeId}`;
}

/**
 * Splits a run id.
 * @throws CairnError `INVALID_OPTIONS` when it is not `<pipeline>/<time id>`.
 */
export function parseRunId(id: string): RunIdParts {
  const { name, timeId } = parseId('run', id, 'research/20250810T143022.123Z-k3f9a2');
  return { pipeline: name, timeId };
}

/** Keys of one checkpoint. */
export function checkpointKeys(id: string): { readonly sidecar: string; readonly payload: string } {
  parseCheckpointId(id);
  const folder = `${layout.checkpointsRoot}${id}/`;
  return {
    sidecar: `${folder}${layout.checkpointSidecarName}`,
    payload: `${folder}${layout.checkpointPayloadName}`,
  };
}

/** Digits of a rank in shard keys: ranks sort numerically up to 99,999. */
const rankWidth = 5;

/**
 * Prefix of the shards of sharded checkpoint `id`. Shards live outside `checkpoints/` so that
 * listing a step's checkpoints walks two keys per checkpoint, however many ranks wrote it.
 */
export function checkpointShardsPrefix(id: string): string {
  parseCheckpointId(id);
  return `${layout.checkpointShardsRoot}${id}/`;
}

/** Keys of one rank's shard of checkpoint `id`. */
export function shardKeys(id: string, rank: number) {
  if (!Number.isSafeInteger(rank) || rank < 0 || rank >= 10 ** rankWidth) {
    throw new CairnError({
      code: 'INVALID_OPTIONS',
      message: `Rank ${rank} is not a whole number from 0 to ${10 ** rankWidth - 1}.`,
    });
  }
  const folder = `${checkpointShardsPrefix(id)}${String(rank).padStart(rankWidth, '0')}/`;
  return {
    /** Everything this rank wrote for the checkpoint. */
    folder,
    /** The shard record, created once its payload has been verified. */
    record: `${folder}${layout.shardRecordName}`,
    /** The payload one write attempt stored; `writeId` is a time id unique to the attempt. */
    payload: (writeId: string) => `${folder}payload-${writeId}`,
  };
}

/**
 * Key of the tombstone of sharded checkpoint `id`: prune creates it before deleting the
 * checkpoint and leaves it, so a rank that arrives late refuses to save or commit that id.
 */
export function shardTombstoneKey(id: string): string {
  return `${checkpointShardsPrefix(id)}${layout.shardTombstoneName}`;
}

/**
 * Key of the object that gives the shared name `name` of run `run`'s sharded checkpoint of
 * `step` its id: the first rank to arrive creates it, the others read it.
 */
export function shardNameKey(step: string, run: string, name: string): string {
  validateName('step', step);
  const { pipeline, timeId } = parseRunId(run);
  validateName('checkpoint name', name);
  return `${layout.checkpointShardsRoot}${step}/names/${pipeline}/${timeId}/${name}.yaml`;
}

/** The prefix under which every checkpoint of `step` lives, oldest first. */
export function stepCheckpointsPrefix(step: string): string {
  validateName('step', step);
  return `${layout.checkpointsRoot}${step}/`;
}

/** The prefix under which every run of `pipeline` lives, oldest first. */
export function pipelineRunsPrefix(pipeline: string): string {
  validateName('pipeline', pipeline);
  return `${layout.runsRoot}${pipeline}/`;
}

/** Keys of one run. */
export function runKeys(id: string) {
  parseRunId(id);
  const folder = `${layout.runsRoot}${id}/`;
  return {
    /** Everything the run owns. */
    folder,
    /** The run record. */
    record: `${folder}${layout.runRecordName}`,
    /** Prefix of the journal segments. */
    journalPrefix: `${folder}journal/`,
    /** Key of journal segment `segment` (from 1). */
    journalSegment: (segment: number) => `${folder}journal/${formatSequence(segment)}.jsonl`,
    /** Environment capture (of the first attempt). */
    environment: `${folder}environment.yaml`,
    /** The git diff captured at level 2 and up (of the first attempt). */
    gitDiff: `${folder}environment/git.diff`,
    /** Environment capture of one attempt: the first's is `environment`. */
    environmentOf: (attempt: number) =>
      attempt === 1 ? `${folder}environment.yaml` : `${folder}environment/attempt-${attempt}.yaml`,
    /** The git diff of one attempt: the first's is `gitDiff`. */
    gitDiffOf: (attempt: number) =>
      attempt === 1
        ? `${folder}environment/git.diff`
        : `${folder}environment/attempt-${attempt}.git.diff`,
    /** Prefix of the error records. */
    errorsPrefix: `${folder}errors/`,
    /** Key of one error record. */
    errorRecord: (timeId: string) => `${folder}errors/${timeId}.yaml`,
    /** Keys of one step's items. */
    step: (step: string) => {
      validateName('step', step);
      const stepFolder = `${folder}steps/${step}/`;
      return {
        itemsPrefix: `${stepFolder}items/`,
        item: (sequence: number) =>
          `${stepFolder}items/${formatSequence(Math.floor(sequence / itemsPerFolder))}/${formatSequence(sequence)}.json`,
        segmentsPrefix: `${stepFolder}item-segments/`,
        segment: (segment: number) => `${stepFolder}item-segments/${formatSequence(segment)}.json`,
      };
    },
  };
}

/** The keys of one run, as {@link runKeys} returns them. */
export type RunKeys = ReturnType<typeof runKeys>;
