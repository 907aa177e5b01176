import {
  type CheckpointRecord,
  checkpointKeys,
  createCheckpointStore,
  createMemoryStorage,
  createSidecarSource,
  formatSidecar,
  type MetadataAnswer,
  type MetadataSubject,
  type SaveCommon,
  type Storage,
} from '@cairn/kernel';
import { describeMetadataSourceConformance } from './describe-metadata-source-conformance.js';

// The kernel's sidecar source against checkpoints saved the ordinary way, then damaged by hand
// the ways a sidecar gets damaged in a real bucket.

const run = 'train/20250810T143022.123Z-k3f9a2';

const subjectOf = (storage: Storage, record: CheckpointRecord, withRecord = false) => ({
  id: record.id,
  payloadKey: checkpointKeys(record.id).payload,
  storage,
  ...(withRecord ? { record } : {}),
});

describeMetadataSourceConformance({
  name: 'sidecar',
  async create() {
    const storage = createMemoryStorage();
    const store = createCheckpointStore({ storage });
    const save = (step: string, fields: Pick<SaveCommon, 'metadata' | 'metrics' | 'tags'> = {}) =>
      store.save({ run, step, state: { step }, ...fields });

    const best = await save('train', {
      metadata: { epoch: 3, trainingStep: 1200, dataset: 'squad:v2', optimizer: { lr: 0.0003 } },
      metrics: { precision: 0.91, recall: 0.84, hmean: 0.87 },
      tags: ['best', 'nightly'],
    });
    // A Hugging Face Trainer counts epochs in fractions and steps as `global_step`.
    const fractional = await save('train', { metadata: { epoch: 2.5, global_step: 1250 } });
    const bare = await save('evaluate');

    const notYaml = await save('train');
    await storage.put(checkpointKeys(notYaml.id).sidecar, 'format: [not: valid');
    const notSchema = await save('train');
    await storage.put(
      checkpointKeys(notSchema.id).sidecar,
      // Well-formed YAML a hand edit could leave: a negative size and a metric that is a word.
      formatSidecar({ ...notSchema, size: -1, metrics: { loss: 'low' } } as never),
    );
    // A sidecar copied under another checkpoint's key would vouch for the wrong payload.
    const copied = await save('train');
    await storage.put(checkpointKeys(copied.id).sidecar, formatSidecar(best));

    const never = 'train/20250810T150000.000Z-abcdef';
    const found: MetadataSubject[] = [
      subjectOf(storage, best),
      subjectOf(storage, best, true),
      subjectOf(storage, fractional),
      subjectOf(storage, bare, true),
    ];
    const expected: Partial<MetadataAnswer>[] = [
      {
        metadata: best.metadata,
        metrics: { precision: 0.91, recall: 0.84, hmean: 0.87 },
        tags: ['best', 'nightly'],
        run: { id: run },
        epoch: 3,
        trainingStep: 1200,
        createdAt: best.createdAt,
        origin: checkpointKeys(best.id).sidecar,
      },
      { metrics: best.metrics, epoch: 3, trainingStep: 1200 },
      { metadata: { epoch: 2.5, global_step: 1250 }, trainingStep: 1250 },
      { metadata: {}, metrics: {}, tags: [], origin: checkpointKeys(bare.id).sidecar },
    ];
    return {
      source: createSidecarSource(),
      found,
      expected,
      notFound: [
        { id: never, payloadKey: checkpointKeys(never).payload, storage },
        { payloadKey: 'lightning_logs/version_0/checkpoints/epoch=3-step=1200.ckpt', storage },
      ],
      unusable: [
        subjectOf(storage, notYaml),
        subjectOf(storage, notSchema),
        subjectOf(storage, copied),
      ],
    };
  },
});
