import type { CheckpointRecord } from '../checkpoints/checkpoint-record.js';
import { readSidecarFrom } from '../checkpoints/read-sidecar.js';
import { abortedError } from '../errors/aborted-error.js';
import { checkpointKeys } from '../naming/layout.js';
import type { MetadataAnswer, MetadataLookup, MetadataSource } from './metadata-source.js';

/** The name the sidecar source reports: the first source of every catalog. */
export const sidecarSourceName = 'sidecar';

/** Whether `value` can be an epoch or a training step: a whole number from 0. */
function isCount(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
}

/**
 * A sidecar's metadata as a source answer. `epoch` and `trainingStep` (or `global_step`) are
 * lifted out of the metadata only when they are whole numbers from 0: a Hugging Face Trainer
 * counts epochs in fractions (2.5), which stays in the metadata but is not an epoch.
 */
export function answerOfRecord(record: CheckpointRecord): MetadataAnswer {
  const epoch = record.metadata.epoch;
  const trainingStep = [record.metadata.trainingStep, record.metadata.global_step].find(isCount);
  return {
    metadata: record.metadata,
    metrics: record.metrics,
    tags: record.tags,
    run: { id: record.run },
    createdAt: record.createdAt,
    origin: checkpointKeys(record.id).sidecar,
    ...(isCount(epoch) ? { epoch } : {}),
    ...(trainingStep === undefined ? {} : { trainingStep }),
  };
}

/**
 * The source that answers from a checkpoint's own sidecar: the record the subject carries, or
 * the sidecar read from storage. A damaged sidecar (not YAML, not the schema, bit rot) is
 * `unusable` with the reason, so the catalog goes on to the next source.
 */
export function createSidecarSource(): MetadataSource {
  return {
    name: sidecarSourceName,
    async lookup(subject): Promise<MetadataLookup> {
      // Checked first: a record in hand or a missing sidecar would otherwise answer without
      // ever looking at the signal.
      if (subject.signal?.aborted) {
        throw abortedError(
          sidecarSourceName,
          subject.signal.reason,
          `Looking up the sidecar of "${subject.id ?? subject.payloadKey}"`,
        );
      }
      if (subject.record !== undefined)
        return { status: 'found', answer: answerOfRecord(subject.record) };
      if (subject.id === undefined) {
        return { status: 'not-found', reason: 'the checkpoint has no id, so it has no sidecar' };
      }
      const reading = await readSidecarFrom(subject.storage, subject.id, subject.signal);
      if (reading.status === 'found')
        return { status: 'found', answer: answerOfRecord(reading.record) };
      if (reading.status === 'missing') {
        return {
          status: 'not-found',
          reason: `no sidecar at "${checkpointKeys(subject.id).sidecar}"`,
        };
      }
      return { status: 'unusable', reason: `its sidecar cannot be trusted: ${reading.reason}` };
    },
  };
}
