import { type CheckpointRecord, createMemoryStorage, type MetadataSubject } from '@cairn/kernel';
import { describeMetadataSourceConformance } from '@cairn/testkit';
import { runResponse, sampleRun, startWandbTestServer } from './testing/wandb-test-server.js';
import { createWandbSource } from './wandb-source.js';

const apiKey = 'local-fedcba9876543210fedcba9876543210fedcba98';

function subjectNaming(run: string): MetadataSubject {
  const record: CheckpointRecord = {
    format: 'cairn.checkpoint/v1',
    id: 'fit/20240501T133000.000Z-abcdef',
    run: 'train/20240501T123000.000Z-abcdef',
    step: 'fit',
    createdAt: '2024-05-01T13:30:00.000Z',
    size: 1,
    sha256: 'a'.repeat(64),
    codec: 'raw',
    contentType: 'application/octet-stream',
    metadata: { wandb: { entity: 'team', project: 'segmentation', run } },
    metrics: {},
    tags: [],
  };
  return {
    id: record.id,
    record,
    payloadKey: 'checkpoints/fit/x/payload',
    storage: createMemoryStorage(),
  };
}

// The W&B source against a loopback server speaking the GraphQL shape: a run that exists, one
// that does not, and one whose config W&B sent damaged.
describeMetadataSourceConformance({
  name: 'wandb',
  async create() {
    const server = await startWandbTestServer();
    server.fallback = (request) => {
      const run = request.body.variables?.run;
      if (run === 'missing') return runResponse(null);
      if (run === 'broken') return runResponse(sampleRun({ name: 'broken', config: '{not json' }));
      return runResponse(sampleRun({ name: run }));
    };
    return {
      source: createWandbSource({
        apiKey,
        baseUrl: server.baseUrl,
        runs: { 'models/': 'team/segmentation/fromprefix' },
      }),
      found: [
        subjectNaming('abc123'),
        { payloadKey: 'models/best.ckpt', storage: createMemoryStorage() },
      ],
      expected: [
        {
          metrics: {
            epoch: 11,
            'val/hmean': 0.82,
            'val.precision': 0.85,
            'val.recall': 0.79,
            loss: 0.123,
          },
          epoch: 11,
          trainingStep: 1200,
        },
        { run: { id: 'fromprefix', name: 'glowing-sun-42', state: 'COMPLETED' } },
      ],
      notFound: [
        subjectNaming('missing'),
        { payloadKey: 'elsewhere/model.ckpt', storage: createMemoryStorage() },
      ],
      unusable: [subjectNaming('broken')],
      secrets: [apiKey, Buffer.from(`api:${apiKey}`).toString('base64')],
      destroy: () => server.close(),
    };
  },
});
