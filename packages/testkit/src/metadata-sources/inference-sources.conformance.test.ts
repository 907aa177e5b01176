import { readdir, readFile } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  createHydraSource,
  createLegacyPipelineSource,
  createLightningSource,
  createMemoryStorage,
  createSafetensorsSource,
  type MetadataSource,
  type MetadataSubject,
  type Storage,
} from '@cairn/kernel';
import { describeMetadataSourceConformance } from './describe-metadata-source-conformance.js';
import type { MetadataSourceFixture } from './metadata-source-check.js';

// The kernel's four inference sources against the fixture trees the kernel's own indexing
// tests use (written by packages/kernel/src/indexing/fixtures/make-fixtures.py).

const fixtures = fileURLToPath(new URL('../../../kernel/src/indexing/fixtures/', import.meta.url));

async function treeStorage(tree: string): Promise<Storage> {
  const storage = createMemoryStorage();
  const root = join(fixtures, tree);
  const walk = async (folder: string): Promise<void> => {
    for (const entry of await readdir(folder, { withFileTypes: true })) {
      const path = join(folder, entry.name);
      if (entry.isDirectory()) await walk(path);
      else await storage.put(relative(root, path).split(sep).join('/'), await readFile(path));
    }
  };
  await walk(root);
  return storage;
}

interface SourceCase {
  readonly name: string;
  readonly tree: string;
  readonly source: () => MetadataSource;
  readonly found: readonly string[];
  readonly expected: MetadataSourceFixture['expected'];
  readonly notFound: readonly string[];
  readonly unusable: readonly string[];
  /** Damages a neighbouring file so that `unusable` keys are unusable. */
  readonly damage?: (storage: Storage) => Promise<unknown>;
}

const lightning = 'lightning_logs/version_0/checkpoints/';
const hydra = 'outputs/2024-05-01/12-30-00/';

const cases: readonly SourceCase[] = [
  {
    name: 'lightning',
    tree: 'lightning',
    source: createLightningSource,
    found: [`${lightning}epoch=1-step=200.ckpt`, 'lightning_logs/version_1/checkpoints/last.ckpt'],
    expected: [{ epoch: 1, trainingStep: 200, metrics: { val_acc: 0.88, val_loss: 0.44 } }, {}],
    notFound: ['lightning_logs/version_0/hparams.yaml', 'models/model.ckpt'],
    unusable: ['broken_logs/version_0/checkpoints/epoch=0-step=1.ckpt'],
    damage: (storage) =>
      Promise.all([
        storage.put('broken_logs/version_0/hparams.yaml', 'lr: [0.1\n'),
        storage.put('broken_logs/version_0/checkpoints/epoch=0-step=1.ckpt', 'x'),
      ]),
  },
  {
    name: 'hydra',
    tree: 'hydra',
    source: createHydraSource,
    found: [`${hydra}checkpoints/model.pt`],
    expected: [{ run: { name: 'train_classifier', createdAt: '2024-05-01T12:30:00.000Z' } }],
    notFound: ['elsewhere/model.pt'],
    unusable: ['outputs/2024-05-02/08-00-00/model.pt'],
    damage: (storage) =>
      storage.put('outputs/2024-05-02/08-00-00/.hydra/config.yaml', 'model: {name: [\n'),
  },
  {
    name: 'safetensors',
    tree: 'safetensors',
    source: createSafetensorsSource,
    found: ['model.safetensors'],
    expected: [{ epoch: 3, trainingStep: 1200, tags: ['safetensors'] }],
    notFound: ['model.pt', 'missing.safetensors'],
    unusable: ['truncated-header.safetensors', 'header-past-end.safetensors'],
  },
  {
    name: 'legacy-pipeline',
    tree: 'legacy',
    source: createLegacyPipelineSource,
    found: ['generate/generate_20240501_120000.pkl', 'compress/compress_20240501_140000.pkl'],
    expected: [
      { createdAt: '2024-05-01T12:00:00.123Z', tags: ['legacy-pipeline', 'verified'] },
      { createdAt: '2024-05-01T14:00:00.000Z' },
    ],
    notFound: ['generate/generate_20240501_120000_backup.pkl', 'notes/readme.pkl'],
    // Listed in the master file, but its file was deleted.
    unusable: ['generate/generate_20240501_130000.pkl'],
  },
];

for (const sourceCase of cases) {
  describeMetadataSourceConformance({
    name: sourceCase.name,
    async create() {
      const storage = await treeStorage(sourceCase.tree);
      await sourceCase.damage?.(storage);
      const subjects = (keys: readonly string[]): MetadataSubject[] =>
        keys.map((payloadKey) => ({ payloadKey, storage }));
      return {
        source: sourceCase.source(),
        found: subjects(sourceCase.found),
        ...(sourceCase.expected === undefined ? {} : { expected: sourceCase.expected }),
        notFound: subjects(sourceCase.notFound),
        unusable: subjects(sourceCase.unusable),
      };
    },
  });
}
