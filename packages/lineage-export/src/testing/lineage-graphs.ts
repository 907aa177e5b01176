import type { LineageEdge, LineageGraph, LineageNode } from '@cairn/kernel';

// Graphs the exporter tests share: the research pipeline of DESIGN.md, and one whose names
// hold everything that breaks a careless exporter.

const runs = {
  sft: 'sft/20250810T100000.000Z-aaaaaa',
  rft: 'rft/20250810T120000.000Z-bbbbbb',
  ttrl: 'ttrl/20250810T140000.000Z-cccccc',
  eval: 'eval/20250810T160000.000Z-dddddd',
};

function run(
  id: string,
  state: 'COMPLETED' | 'FAILED' | 'INTERRUPTED' | 'RUNNING',
  hours: number,
): LineageNode {
  const started = Date.parse('2025-08-10T00:00:00Z') + hours * 3_600_000;
  return {
    kind: 'run',
    id: `run:${id}`,
    run: id,
    pipeline: id.split('/')[0] as string,
    state,
    startedAt: new Date(started).toISOString(),
    ...(state === 'RUNNING' ? {} : { finishedAt: new Date(started + 1_800_000).toISOString() }),
    ...(state === 'FAILED' ? { reason: 'judge crashed: "rate limited"' } : {}),
  };
}

function artifact(
  name: string,
  type: string,
  hours: number,
  extra: Partial<LineageNode> = {},
): LineageNode {
  return {
    kind: 'artifact',
    id: `${name}:v1`,
    name,
    version: 1,
    type,
    digest: `sha256:${'ab'.repeat(32)}`,
    createdAt: new Date(Date.parse('2025-08-10T00:00:00Z') + hours * 3_600_000).toISOString(),
    ...extra,
  } as LineageNode;
}

const edge = (from: string, to: string, kind: LineageEdge['kind']): LineageEdge => ({
  from,
  to,
  kind,
});

/** dataset → sft → rft → ttrl → eval, each stage its own run; the dataset lives on S3. */
export const pipelineGraph: LineageGraph = {
  nodes: [
    artifact('dataset-gsm8k', 'dataset', 9, {
      uri: 's3://research-data/gsm8k/train.jsonl',
      aliases: ['latest'],
    }),
    run(runs.sft, 'COMPLETED', 10),
    artifact('model-sft', 'model', 10.5),
    run(runs.rft, 'COMPLETED', 12),
    artifact('model-rft', 'model', 12.5),
    run(runs.ttrl, 'COMPLETED', 14),
    artifact('model-ttrl', 'model', 14.5, { aliases: ['best', 'latest'] }),
    run(runs.eval, 'FAILED', 16),
    artifact('eval-ttrl-on-gsm8k', 'evaluation', 16.5),
    artifact('weekly-report', 'report', 17),
  ],
  edges: [
    edge('dataset-gsm8k:v1', `run:${runs.sft}`, 'used'),
    edge(`run:${runs.sft}`, 'model-sft:v1', 'produced'),
    edge('model-sft:v1', `run:${runs.rft}`, 'used'),
    edge(`run:${runs.rft}`, 'model-rft:v1', 'produced'),
    edge('model-rft:v1', `run:${runs.ttrl}`, 'used'),
    edge(`run:${runs.ttrl}`, 'model-ttrl:v1', 'produced'),
    edge('model-ttrl:v1', `run:${runs.eval}`, 'used'),
    edge('dataset-gsm8k:v1', `run:${runs.eval}`, 'used'),
    edge(`run:${runs.eval}`, 'eval-ttrl-on-gsm8k:v1', 'produced'),
    edge('eval-ttrl-on-gsm8k:v1', 'weekly-report:v1', 'derived'),
  ],
  aliases: [
    { name: 'dataset-gsm8k', alias: 'latest', version: 1 },
    { name: 'model-ttrl', alias: 'best', version: 1 },
    { name: 'model-ttrl', alias: 'latest', version: 1 },
  ],
};

/** The run ids of {@link pipelineGraph}. */
export const pipelineRuns = runs;

/** Names that break careless escaping, all at once. */
export const nastyNames = [
  'quote"d',
  'back\\slash',
  'new\nline',
  'tab\there',
  'ünïcödé-名前-🙂',
  'arrow-->x',
  'brackets]]{}',
  '<b>bold</b>',
  '%%comment',
  'semi;colon',
  'hash#35;',
  'amp&amp;',
  'end',
];

/** A graph with a node per nasty name (artifact and run), a cycle, and an edge to nowhere. */
export const nastyGraph: LineageGraph = {
  nodes: nastyNames.flatMap((name, index): LineageNode[] => [
    { kind: 'artifact', id: `${name}:v${index + 1}`, name, version: index + 1, type: name },
    {
      kind: 'run',
      id: `run:${name}/t${index}`,
      run: `${name}/t${index}`,
      pipeline: name,
      state: 'RUNNING',
      startedAt: `2025-08-10T10:${String(index).padStart(2, '0')}:00Z`,
    },
  ]),
  edges: [
    ...nastyNames.map((name, index) =>
      edge(`${name}:v${index + 1}`, `run:${name}/t${index}`, 'used'),
    ),
    edge('quote"d:v1', 'back\\slash:v2', 'derived'),
    edge('back\\slash:v2', 'quote"d:v1', 'derived'),
    edge('end:v13', 'ghost:v9', 'derived'),
  ],
  aliases: [{ name: 'quote"d', alias: 'b"est', version: 1 }],
};
