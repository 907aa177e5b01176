import { readFileSync } from 'node:fs';
import type { LineageGraph } from '@cairn/kernel';
import { describe, expect, it } from 'vitest';
import {
  createOpenLineageExporter,
  externalDatasetName,
  type OpenLineageRunEvent,
  openLineageSchemaUrl,
} from './openlineage-exporter.js';
import { deterministicRunId } from './openlineage-run-id.js';
import { nastyGraph, pipelineGraph, pipelineRuns } from './testing/lineage-graphs.js';
import {
  errorMessageFacetSchema,
  runEventSchema,
  versionFacetSchema,
} from './testing/openlineage-spec.js';

const manifest = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as {
  version: string;
};

function events(text: string): OpenLineageRunEvent[] {
  expect(text.endsWith('\n')).toBe(true);
  return text
    .trimEnd()
    .split('\n')
    .map((line) => JSON.parse(line) as OpenLineageRunEvent);
}

function checkAgainstSpec(list: readonly OpenLineageRunEvent[]): void {
  for (const event of list) {
    const parsed = runEventSchema.safeParse(event);
    expect(parsed.success, JSON.stringify(parsed.error?.issues)).toBe(true);
    for (const dataset of [...event.inputs, ...event.outputs]) {
      expect(versionFacetSchema.safeParse(dataset.facets.version).success).toBe(true);
    }
  }
}

describe('the OpenLineage exporter', () => {
  it('writes START and a final event per run, with inputs, outputs and version facets', () => {
    const list = events(createOpenLineageExporter({ namespace: 'research' }).export(pipelineGraph));
    checkAgainstSpec(list);
    expect(list.map((event) => `${event.eventType} ${event.job.name}`)).toEqual([
      'START sft',
      'COMPLETE sft',
      'START rft',
      'COMPLETE rft',
      'START ttrl',
      'COMPLETE ttrl',
      'START eval',
      'FAIL eval',
      'COMPLETE log/weekly-report',
    ]);
    const [start, , , , , , evalStart, evalFail, log] = list as OpenLineageRunEvent[];
    expect(start?.schemaURL).toBe(openLineageSchemaUrl);
    expect(start?.eventTime).toBe('2025-08-10T10:00:00.000Z');
    // The dataset on S3 is named by its bucket and key; Cairn's own by the namespace and name.
    expect(start?.inputs).toEqual([
      {
        namespace: 's3://research-data',
        name: 'gsm8k/train.jsonl',
        facets: {
          version: {
            _producer: `https://github.com/cairn-dev/cairn/tree/@cairn/lineage-export@${manifest.version}/packages/lineage-export`,
            _schemaURL:
              'https://openlineage.io/spec/facets/1-0-1/DatasetVersionDatasetFacet.json#/$defs/DatasetVersionDatasetFacet',
            datasetVersion: 'v1',
          },
        },
      },
    ]);
    expect(evalStart?.inputs.map((dataset) => `${dataset.namespace} ${dataset.name}`)).toEqual([
      's3://research-data gsm8k/train.jsonl',
      'research model-ttrl',
    ]);
    expect(evalFail?.outputs.map((dataset) => dataset.name)).toEqual(['eval-ttrl-on-gsm8k']);
    expect(errorMessageFacetSchema.parse(evalFail?.run.facets.errorMessage).message).toBe(
      'judge crashed: "rate limited"',
    );
    expect(evalFail?.run.runId).toBe(evalStart?.run.runId);
    expect(log?.inputs.map((dataset) => dataset.name)).toEqual(['eval-ttrl-on-gsm8k']);
    expect(log?.outputs.map((dataset) => dataset.name)).toEqual(['weekly-report']);
  });

  it('keeps explicit parents a producing run did not use, in an event of their own', () => {
    const run = 'distil/20250810T100000.000Z-eeeeee';
    const graph: LineageGraph = {
      nodes: [
        { kind: 'artifact', id: 'teacher:v1', name: 'teacher', version: 1, type: 'model' },
        { kind: 'artifact', id: 'prompts:v1', name: 'prompts', version: 1, type: 'dataset' },
        {
          kind: 'artifact',
          id: 'student:v1',
          name: 'student',
          version: 1,
          type: 'model',
          createdAt: '2025-08-10T10:30:00.000Z',
        },
        {
          kind: 'run',
          id: `run:${run}`,
          run,
          pipeline: 'distil',
          state: 'COMPLETED',
          startedAt: '2025-08-10T10:00:00.000Z',
          finishedAt: '2025-08-10T11:00:00.000Z',
        },
      ],
      edges: [
        { from: 'prompts:v1', to: `run:${run}`, kind: 'used' },
        { from: `run:${run}`, to: 'student:v1', kind: 'produced' },
        // prompts was used by the run and named as a parent; teacher only named as a parent.
        { from: 'prompts:v1', to: 'student:v1', kind: 'derived' },
        { from: 'teacher:v1', to: 'student:v1', kind: 'derived' },
      ],
      aliases: [],
    };
    const list = events(createOpenLineageExporter().export(graph));
    checkAgainstSpec(list);
    expect(
      list.map(
        (event) =>
          `${event.eventType} ${event.job.name}: ${event.inputs.map((dataset) => dataset.name).join(',')} → ${event.outputs.map((dataset) => dataset.name).join(',')}`,
      ),
    ).toEqual([
      'START distil: prompts → student',
      'COMPLETE log/student: teacher → student',
      'COMPLETE distil: prompts → student',
    ]);
  });

  it('derives run ids as time-ordered UUIDs, the same on every export', () => {
    const id = deterministicRunId(pipelineRuns.sft, Date.parse('2025-08-10T10:00:00Z'));
    expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(Number.parseInt(id.replace(/-/g, '').slice(0, 12), 16)).toBe(
      Date.parse('2025-08-10T10:00:00Z'),
    );
    expect(deterministicRunId(pipelineRuns.sft, Date.parse('2025-08-10T10:00:00Z'))).toBe(id);
    expect(deterministicRunId(pipelineRuns.rft, Date.parse('2025-08-10T10:00:00Z'))).not.toBe(id);
    const later = deterministicRunId(pipelineRuns.rft, Date.parse('2025-08-10T12:00:00Z'));
    expect(later > id).toBe(true);
    const exporter = createOpenLineageExporter();
    expect(exporter.export(pipelineGraph)).toBe(
      exporter.export({ ...pipelineGraph, nodes: [...pipelineGraph.nodes].reverse() }),
    );
  });

  it('writes events that meet the spec for hostile names, running runs and missing nodes', () => {
    const list = events(createOpenLineageExporter().export(nastyGraph));
    checkAgainstSpec(list);
    // Running runs have a START only; the artifacts in the cycle have no createdAt, so no event.
    expect(list.map((event) => event.eventType)).toEqual(Array(13).fill('START'));
    expect(list.map((event) => event.job.name)).toContain('quote"d');
    expect(list.find((event) => event.job.name === 'new\nline')?.inputs[0]?.name).toBe('new\nline');
    expect(createOpenLineageExporter().export({ nodes: [], edges: [], aliases: [] })).toBe('');
  });

  it('names this release as the producer unless told otherwise, in every event and facet', () => {
    const producers = (text: string) =>
      new Set([...text.matchAll(/"_?producer":"([^"]*)"/g)].map((match) => match[1]));
    expect(producers(createOpenLineageExporter().export(pipelineGraph))).toEqual(
      new Set([
        `https://github.com/cairn-dev/cairn/tree/@cairn/lineage-export@${manifest.version}/packages/lineage-export`,
      ]),
    );
    const own = createOpenLineageExporter({ producer: 'https://example.com/pipelines' });
    expect(producers(own.export(pipelineGraph))).toEqual(
      new Set(['https://example.com/pipelines']),
    );
  });

  it('names external objects by where they live: scheme and authority, then the path', () => {
    expect(externalDatasetName('s3://research-data/gsm8k/train.jsonl')).toEqual({
      namespace: 's3://research-data',
      name: 'gsm8k/train.jsonl',
    });
    expect(externalDatasetName('gs://bucket/a/b.parquet?generation=3')).toEqual({
      namespace: 'gs://bucket',
      name: 'a/b.parquet',
    });
    expect(externalDatasetName('hdfs://namenode:8020/warehouse/t')).toEqual({
      namespace: 'hdfs://namenode:8020',
      name: 'warehouse/t',
    });
    expect(externalDatasetName('file:///data/train.csv')).toEqual({
      namespace: 'file',
      name: '/data/train.csv',
    });
    // No path, or no scheme: the artifact keeps Cairn's own namespace and name.
    expect(externalDatasetName('s3://bucket-only')).toBeUndefined();
    expect(externalDatasetName('s3://bucket/')).toBeUndefined();
    expect(externalDatasetName('data/train.csv')).toBeUndefined();
  });

  it('refuses a producer that is not a URI', () => {
    expect(() => createOpenLineageExporter({ producer: 'cairn' })).toThrow(
      /The openlineage exporter's options are not valid: producer: expected an absolute URI/,
    );
  });
});
