import {
  abortedError,
  CairnError,
  type CheckpointRecord,
  createMemoryStorage,
  type MetadataAnswer,
  type MetadataLookup,
  type MetadataSource,
  type MetadataSubject,
} from '@cairn/kernel';
import type {
  MetadataSourceCheck,
  MetadataSourceCheckGroup,
  MetadataSourceFixture,
} from '../metadata-sources/metadata-source-check.js';

// Shared by the self-tests of the metadata-source suite: a small source that keeps the
// contract, and a way to break one thing about it. Test-only: excluded from the build and the
// published files.

/** The name the well-behaved memory source reports. */
export const memorySourceName = 'memory-tracker';

/** The API key a tracker's client would hold: broken sources leak it, the healthy one never. */
export const memorySourceApiKey = 'mk-live-5f1c0e7d9a3b4c21';

/** What the memory source knows, by payload key. */
export const knownAnswers: Readonly<Record<string, MetadataAnswer>> = {
  'checkpoints/train/20250810T143022.123Z-k3f9a2/payload': {
    metadata: { dataset: 'squad:v2', optimizer: { name: 'adamw', betas: [0.9, 0.999] } },
    metrics: { precision: 0.91, recall: 0.84 },
    tags: ['best'],
    run: {
      id: 'run-1',
      name: 'brisk-river-7',
      state: 'COMPLETED',
      url: 'https://tracker.test/runs/1',
    },
    epoch: 3,
    trainingStep: 1200,
    createdAt: '2025-08-10T14:30:22.123Z',
    origin: 'https://tracker.test/runs/1',
  },
  'lightning_logs/version_0/checkpoints/epoch=1-step=400.ckpt': {
    metadata: {},
    metrics: { loss: 0.42 },
    tags: [],
  },
};

/** Payload keys whose data the memory source has but cannot trust, with why. */
export const damagedKeys: Readonly<Record<string, string>> = {
  'lightning_logs/version_1/checkpoints/last.ckpt': 'its metrics.csv has a header but no rows',
};

/**
 * A metadata source that keeps the contract: answers from {@link knownAnswers} (fresh copies),
 * `unusable` for {@link damagedKeys}, `not-found` otherwise; checks the signal first; refuses
 * lookups once closed.
 */
export function createMemoryMetadataSource(): MetadataSource {
  let closed = false;
  return {
    name: memorySourceName,
    async lookup(subject: MetadataSubject): Promise<MetadataLookup> {
      if (closed) {
        throw new CairnError({
          code: 'UNSUPPORTED',
          backend: memorySourceName,
          message: 'The source is closed; create a new one to look checkpoints up.',
        });
      }
      if (subject.signal?.aborted) {
        throw abortedError(
          memorySourceName,
          subject.signal.reason,
          `Looking up "${subject.payloadKey}"`,
        );
      }
      // A remote source answers later than it is asked: other lookups run in between.
      await new Promise((resolve) => setImmediate(resolve));
      const damaged = damagedKeys[subject.payloadKey];
      if (damaged !== undefined) return { status: 'unusable', reason: damaged };
      const answer = knownAnswers[subject.payloadKey];
      if (answer === undefined) {
        return { status: 'not-found', reason: `no run logged "${subject.payloadKey}"` };
      }
      return { status: 'found', answer: structuredClone(answer) };
    },
    async close() {
      closed = true;
    },
  };
}

/** A memory source with some of its members replaced (the rest delegate to a healthy one). */
export function brokenSource(
  replace: (inner: MetadataSource) => Partial<MetadataSource>,
): MetadataSource {
  const inner = createMemoryMetadataSource();
  return {
    name: inner.name,
    lookup: (subject) => inner.lookup(subject),
    close: () => inner.close?.() ?? Promise.resolve(),
    ...replace(inner),
  };
}

const storage = createMemoryStorage();

/** A sidecar record for the first known payload, so subjects can carry one. */
export const knownRecord: CheckpointRecord = {
  format: 'cairn.checkpoint/v1',
  id: 'train/20250810T143022.123Z-k3f9a2',
  run: 'train/20250810T143022.123Z-k3f9a2',
  step: 'train',
  createdAt: '2025-08-10T14:30:22.123Z',
  size: 12,
  sha256: 'a'.repeat(64),
  codec: 'json',
  contentType: 'application/json',
  metadata: { wandb: { run: 'run-1' }, notes: ['first', 'second'] },
  metrics: { loss: 0.3 },
  tags: ['nightly', 'baseline'],
};

/**
 * The fixture the self-tests use: the memory source (or a broken one), two found subjects (one
 * carrying a record), two unknown ones, a damaged one, what to expect and the secret.
 */
export function memorySourceFixture(
  source: MetadataSource = createMemoryMetadataSource(),
): MetadataSourceFixture {
  const [first = '', second = ''] = Object.keys(knownAnswers);
  return {
    source,
    found: [
      { id: knownRecord.id, payloadKey: first, record: structuredClone(knownRecord), storage },
      { payloadKey: second, storage },
    ],
    expected: [
      { metrics: { precision: 0.91, recall: 0.84 }, run: { state: 'COMPLETED' }, epoch: 3 },
      { metrics: { loss: 0.42 } },
    ],
    notFound: [
      {
        id: 'train/20250811T090000.000Z-abcdef',
        payloadKey: 'checkpoints/train/x/payload',
        storage,
      },
      { payloadKey: 'outputs/model.safetensors', storage },
    ],
    unusable: [{ payloadKey: Object.keys(damagedKeys)[0] ?? '', storage }],
    secrets: [memorySourceApiKey],
  };
}

/** The one check of `group` whose title contains `titlePart`. */
export function metadataCheckTitled(
  group: MetadataSourceCheckGroup,
  titlePart: string,
): MetadataSourceCheck {
  const matches = group.checks.filter((check) => check.title.includes(titlePart));
  if (matches.length !== 1)
    throw new Error(
      `expected one check titled "${titlePart}" in ${group.title}, found ${matches.length}`,
    );
  return matches[0] as MetadataSourceCheck;
}
