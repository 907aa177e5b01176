import {
  type ArtifactLineageNode,
  type LineageEdgeKind,
  type LineageExporter,
  type LineageGraph,
  type RunLineageNode,
  timeOfId,
} from '@cairn/kernel';
import { z } from 'zod';
import { parseExporterOptions } from './exporter-options.js';
import { compareText, viewOf } from './graph-view.js';
import { deterministicRunId } from './openlineage-run-id.js';
import { defaultProducer } from './package-version.js';

/** The OpenLineage exporter's name, also its `use:` in `cairn.config.yaml`. */
export const openLineageExporterName = 'openlineage';

/** The OpenLineage spec version the events follow. */
export const openLineageSchemaUrl =
  'https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/RunEvent';
const versionFacetSchemaUrl =
  'https://openlineage.io/spec/facets/1-0-1/DatasetVersionDatasetFacet.json#/$defs/DatasetVersionDatasetFacet';
const errorFacetSchemaUrl =
  'https://openlineage.io/spec/facets/1-0-1/ErrorMessageRunFacet.json#/$defs/ErrorMessageRunFacet';

const uri = z.url({ message: 'expected an absolute URI such as https://example.com/producer' });

/** Options of {@link createOpenLineageExporter}. */
export const openLineageExporterOptionsSchema = z.strictObject({
  /** The namespace of the jobs (Cairn pipelines), e.g. your team or scheduler. */
  namespace: z.string().min(1).default('cairn'),
  /**
   * The namespace of artifacts stored by Cairn; default the jobs' namespace. Artifacts that
   * reference external objects use the object's (`s3://bucket`).
   */
  datasetNamespace: z.string().min(1).optional(),
  /**
   * The `producer` URI written in every event and facet; default this package's source at its
   * release tag, `https://github.com/cairn-dev/cairn/tree/@cairn/lineage-export@<version>/…`.
   */
  producer: uri.default(defaultProducer),
});
/** What {@link createOpenLineageExporter} takes. */
export type OpenLineageExporterOptions = z.input<typeof openLineageExporterOptionsSchema>;

/** A dataset as an OpenLineage event names it. */
interface OpenLineageDataset {
  readonly namespace: string;
  readonly name: string;
  readonly facets: Record<string, unknown>;
}

/** An OpenLineage RunEvent (spec 2-0-2), as this exporter writes it. */
export interface OpenLineageRunEvent {
  readonly eventType: 'START' | 'COMPLETE' | 'FAIL' | 'ABORT';
  readonly eventTime: string;
  readonly producer: string;
  readonly schemaURL: string;
  readonly run: { readonly runId: string; readonly facets: Record<string, unknown> };
  readonly job: {
    readonly namespace: string;
    readonly name: string;
    readonly facets: Record<string, unknown>;
  };
  readonly inputs: readonly OpenLineageDataset[];
  readonly outputs: readonly OpenLineageDataset[];
}

const terminalEvents = {
  COMPLETED: 'COMPLETE',
  FAILED: 'FAIL',
  INTERRUPTED: 'ABORT',
} as const;

/**
 * The namespace and name of an external object, the OpenLineage way (namespace
 * `scheme://authority`, name the path): `s3://bucket/key` is `s3://bucket` and `key`;
 * `file:///data/train.csv`, with no authority, is `file` and `/data/train.csv`. Undefined for
 * anything else (no scheme, no path).
 */
export function externalDatasetName(
  uri: string,
): { readonly namespace: string; readonly name: string } | undefined {
  const withAuthority = /^([a-z][a-z0-9+.-]*:\/\/[^/?#]+)\/([^?#]+)/i.exec(uri);
  if (withAuthority !== null) {
    return { namespace: withAuthority[1] as string, name: withAuthority[2] as string };
  }
  const withoutAuthority = /^([a-z][a-z0-9+.-]*):\/\/(\/[^?#]+)/i.exec(uri);
  if (withoutAuthority !== null) {
    return { namespace: withoutAuthority[1] as string, name: withoutAuthority[2] as string };
  }
  return undefined;
}

/**
 * An artifact as an OpenLineage dataset: an external object is named where it lives (see
 * {@link externalDatasetName}); anything Cairn stores is `datasetNamespace` and the artifact
 * name, its version number in the `version` facet.
 */
function datasetOf(
  node: ArtifactLineageNode,
  datasetNamespace: string,
  producer: string,
): OpenLineageDataset {
  const external = node.uri === undefined ? undefined : externalDatasetName(node.uri);
  return {
    namespace: external?.namespace ?? datasetNamespace,
    name: external?.name ?? node.name,
    facets: {
      version: {
        _producer: producer,
        _schemaURL: versionFacetSchemaUrl,
        datasetVersion: `v${node.version}`,
      },
    },
  };
}

/** A time as OpenLineage wants it (ISO 8601 with zone); undefined when there is none. */
function timeOf(text: string | undefined): string | undefined {
  if (text === undefined) return undefined;
  const time = Date.parse(text);
  return Number.isNaN(time) ? undefined : new Date(time).toISOString();
}

/**
 * OpenLineage run events (spec 2-0-2), one JSON object per line: for each run a START event
 * (at its start) and, once it ended, COMPLETE, FAIL (with an `errorMessage` facet giving the
 * reason) or ABORT (interrupted); RUNNING runs have START only. The job is the pipeline
 * (`namespace`, pipeline name); inputs are the artifact versions the run used, outputs those it
 * produced, each with a `version` facet (`v3`). Artifacts logged with explicit parents
 * that no run producing them used get one COMPLETE event of the job `log/<artifact name>`
 * linking those parents to the child.
 * `runId`s are UUIDs derived from the run id and start time (the same on every export). What
 * has no time to give an event (a run whose record is missing, an artifact without
 * `createdAt`) is left out rather than given an invented one.
 *
 * @throws CairnError `INVALID_OPTIONS` for bad options.
 */
export function createOpenLineageExporter(
  options: OpenLineageExporterOptions = {},
): LineageExporter {
  const settings = parseExporterOptions(
    openLineageExporterName,
    openLineageExporterOptionsSchema,
    options,
  );
  const datasetNamespace = settings.datasetNamespace ?? settings.namespace;
  return {
    name: openLineageExporterName,
    mediaType: 'application/x-ndjson',
    fileExtension: '.jsonl',
    export(graph: LineageGraph): string {
      const events = openLineageEvents(
        graph,
        settings.namespace,
        datasetNamespace,
        settings.producer,
      );
      return events.map((event) => `${JSON.stringify(event)}\n`).join('');
    },
  };
}

/** The events {@link createOpenLineageExporter} writes, in time order. */
export function openLineageEvents(
  graph: LineageGraph,
  namespace: string,
  datasetNamespace: string,
  producer: string,
): OpenLineageRunEvent[] {
  const view = viewOf(graph);
  const events: OpenLineageRunEvent[] = [];
  const artifact = (id: string) => {
    const node = view.byId.get(id);
    return node?.kind === 'artifact' ? datasetOf(node, datasetNamespace, producer) : undefined;
  };
  const collect = (ids: readonly string[]) =>
    ids.map(artifact).filter((dataset): dataset is OpenLineageDataset => dataset !== undefined);
  // Edge ends by node and kind, built once: filtering every edge per node is quadratic.
  const into = new Map<string, string[]>();
  const outOf = new Map<string, string[]>();
  const append = (map: Map<string, string[]>, key: string, id: string) => {
    const list = map.get(key);
    if (list === undefined) map.set(key, [id]);
    else list.push(id);
  };
  for (const edge of view.edges) {
    append(into, `${edge.to}\u0000${edge.kind}`, edge.from);
    append(outOf, `${edge.from}\u0000${edge.kind}`, edge.to);
  }
  const sources = (id: string, kind: LineageEdgeKind) => into.get(`${id}\u0000${kind}`) ?? [];
  const targets = (id: string, kind: LineageEdgeKind) => outOf.get(`${id}\u0000${kind}`) ?? [];

  for (const node of view.nodes) {
    if (node.kind !== 'run' || node.missing === true) continue;
    const run = node as RunLineageNode;
    const started = timeOf(run.startedAt) ?? timeOfId(run.run)?.toISOString();
    if (started === undefined) continue;
    const base = {
      producer,
      schemaURL: openLineageSchemaUrl,
      run: {
        runId: deterministicRunId(run.run, Date.parse(started)),
        facets: {} as Record<string, unknown>,
      },
      job: { namespace, name: run.pipeline, facets: {} },
      inputs: collect(sources(run.id, 'used')),
      outputs: collect(targets(run.id, 'produced')),
    };
    events.push({ ...base, eventType: 'START', eventTime: started, run: { ...base.run } });
    const terminal =
      run.state === undefined || run.state === 'RUNNING' ? undefined : terminalEvents[run.state];
    if (terminal === undefined) continue;
    const facets: Record<string, unknown> =
      terminal === 'FAIL' && run.reason !== undefined
        ? {
            errorMessage: {
              _producer: producer,
              _schemaURL: errorFacetSchemaUrl,
              message: run.reason,
              programmingLanguage: 'JavaScript',
            },
          }
        : {};
    const ended = timeOf(run.finishedAt) ?? started;
    events.push({
      ...base,
      eventType: terminal,
      eventTime: ended,
      run: { runId: base.run.runId, facets },
    });
  }

  // Explicit parents that no run producing the artifact used (logged without a run, or named
  // beside one): one event of a job named for the artifact joins them, so the link is kept.
  for (const node of view.nodes) {
    if (node.kind !== 'artifact' || node.missing === true) continue;
    const usedByProducers = new Set(
      sources(node.id, 'produced').flatMap((run) => sources(run, 'used')),
    );
    const parents = sources(node.id, 'derived').filter((parent) => !usedByProducers.has(parent));
    if (parents.length === 0) continue;
    const time = timeOf(node.createdAt);
    if (time === undefined) continue;
    events.push({
      eventType: 'COMPLETE',
      eventTime: time,
      producer,
      schemaURL: openLineageSchemaUrl,
      run: { runId: deterministicRunId(node.id, Date.parse(time)), facets: {} },
      job: { namespace, name: `log/${node.name}`, facets: {} },
      inputs: collect(parents),
      outputs: collect([node.id]),
    });
  }
  const order = { START: 0, COMPLETE: 1, FAIL: 1, ABORT: 1 } as const;
  return events.sort(
    (left, right) =>
      compareText(left.eventTime, right.eventTime) ||
      compareText(left.run.runId, right.run.runId) ||
      order[left.eventType] - order[right.eventType],
  );
}
