import { CairnError } from '../errors/cairn-error.js';
import {
  type ArtifactLineageNode,
  artifactNodeId,
  type LineageAlias,
  type LineageEdge,
  type LineageGraph,
  type LineageNode,
  type RunLineageNode,
  runNodeId,
} from '../lineage/lineage-graph.js';
import { describeRun, readRunRecord } from '../runs/run-status.js';
import { listAliases } from './artifact-aliases.js';
import type { ArtifactContext } from './artifact-context.js';
import { readAddedMetadata } from './artifact-metadata.js';
import { parseArtifactReference } from './artifact-reference.js';
import {
  listArtifactNames,
  readVersionRecord,
  resolveArtifactVersion,
  type VersionRecord,
  versionNumbers,
} from './artifact-versions.js';
import {
  runInputs,
  runOutputs,
  versionChildren,
  versionLoggers,
  versionUsers,
} from './run-edges.js';

/** Options for {@link loadLineage}. */
export interface LoadLineageOptions {
  /**
   * Draw the lineage around this artifact (`name`, `name:v<n>`, `name:<alias>`) or run
   * (`run:<run id>`): its ancestors and descendants. Without it, the whole storage.
   */
  readonly around?: string;
  /** Edges to follow each way from `around`; default unlimited. */
  readonly depth?: number;
  /** Cancels the loading. */
  readonly signal?: AbortSignal;
}

type Neighbour = { readonly id: string; readonly edge: LineageEdge };

/**
 * Reads a lineage graph from storage. Edges come from the version records (run, parents, the
 * run's inputs when it logged), the runs' used/logged edge records and the reverse edges
 * (used-by, children), so the graph can be walked from any node in both directions without
 * reading everything. Nodes whose records are missing are kept as `missing` placeholders;
 * `validateLineage` reports them.
 */
export async function loadLineage(
  context: ArtifactContext,
  options: LoadLineageOptions = {},
): Promise<LineageGraph> {
  const loader = new LineageLoader(context, options.signal);
  if (options.around === undefined) return loader.everything();
  const depth = options.depth ?? Number.POSITIVE_INFINITY;
  if (!(depth === Number.POSITIVE_INFINITY || (Number.isSafeInteger(depth) && depth >= 1))) {
    throw new CairnError({
      code: 'INVALID_OPTIONS',
      backend: 'lineage',
      message: `Lineage depth ${String(options.depth)} is not valid: give a whole number of edges, at least 1, or leave it out.`,
    });
  }
  let start: string;
  if (options.around.startsWith('run:')) {
    start = options.around;
    const node = await loader.node(start);
    if (node.missing === true) {
      throw new CairnError({
        code: 'NOT_FOUND',
        backend: 'lineage',
        message: `There is no run "${options.around.slice(4)}" in this storage; list runs to see their ids.`,
      });
    }
  } else {
    const record = await resolveArtifactVersion(context, options.around, options.signal);
    start = artifactNodeId(record.name, record.version);
  }
  await loader.walk(start, 'up', depth);
  await loader.walk(start, 'down', depth);
  return loader.graph();
}

class LineageLoader {
  private readonly nodes = new Map<string, Promise<LineageNode>>();
  private readonly edges = new Map<string, LineageEdge>();
  private readonly aliasesByName = new Map<string, Promise<LineageAlias[]>>();
  private readonly records = new Map<string, Promise<VersionRecord | undefined>>();

  constructor(
    private readonly context: ArtifactContext,
    private readonly signal: AbortSignal | undefined,
  ) {}

  async everything(): Promise<LineageGraph> {
    for await (const name of listArtifactNames(this.context.storage, this.signal)) {
      for (const version of await versionNumbers(this.context, name, this.signal)) {
        const id = artifactNodeId(name, version);
        await this.node(id);
        const near = [...(await this.neighbours(id, 'up')), ...(await this.neighbours(id, 'down'))];
        // A run's own edge records say what it used and logged, including content it logged
        // again (identical to an earlier version, whose record names the first run only).
        for (const neighbour of near) {
          if (!neighbour.id.startsWith('run:')) continue;
          await this.neighbours(neighbour.id, 'up');
          await this.neighbours(neighbour.id, 'down');
        }
      }
      await this.aliases(name);
    }
    return this.graph();
  }

  async walk(start: string, direction: 'up' | 'down', depth: number): Promise<void> {
    const seen = new Set([start]);
    let frontier = [start];
    for (let distance = 1; distance <= depth && frontier.length > 0; distance += 1) {
      const next: string[] = [];
      for (const id of frontier) {
        for (const neighbour of await this.neighbours(id, direction)) {
          if (seen.has(neighbour.id)) continue;
          seen.add(neighbour.id);
          next.push(neighbour.id);
        }
      }
      frontier = next;
    }
  }

  async graph(): Promise<LineageGraph> {
    const nodes = await Promise.all(this.nodes.values());
    const ids = new Set(nodes.map((node) => node.id));
    const names = new Set(
      nodes
        .filter((node) => node.kind === 'artifact')
        .map((node) => (node as ArtifactLineageNode).name),
    );
    const aliases: LineageAlias[] = [];
    for (const name of [...names].sort()) aliases.push(...(await this.aliases(name)));
    return {
      nodes: nodes.sort((left, right) => (left.id < right.id ? -1 : left.id > right.id ? 1 : 0)),
      edges: [...this.edges.values()].filter((edge) => ids.has(edge.from) && ids.has(edge.to)),
      aliases,
    };
  }

  /** The node of an id, read once. */
  node(id: string): Promise<LineageNode> {
    let node = this.nodes.get(id);
    if (node === undefined) {
      node = id.startsWith('run:') ? this.readRun(id) : this.readArtifact(id);
      this.nodes.set(id, node);
    }
    return node;
  }

  /** A version's record, read once however many walks pass it. */
  private record(name: string, version: number): Promise<VersionRecord | undefined> {
    const id = artifactNodeId(name, version);
    let record = this.records.get(id);
    if (record === undefined) {
      record = readVersionRecord(this.context, name, version, this.signal);
      this.records.set(id, record);
    }
    return record;
  }

  private aliases(name: string): Promise<LineageAlias[]> {
    let aliases = this.aliasesByName.get(name);
    if (aliases === undefined) {
      aliases = listAliases(this.context, name, this.signal);
      this.aliasesByName.set(name, aliases);
    }
    return aliases;
  }

  private async readArtifact(id: string): Promise<ArtifactLineageNode> {
    const { name, version } = parseArtifactReference(id) as { name: string; version: number };
    const record = await this.record(name, version);
    if (record === undefined) {
      return { kind: 'artifact', id, name, version, type: 'unknown', missing: true };
    }
    const added = await readAddedMetadata(this.context, name, version, this.signal);
    const aliases = (await this.aliases(name))
      .filter((alias) => alias.version === version)
      .map((alias) => alias.alias);
    const metadata = { ...record.metadata, ...added };
    return {
      kind: 'artifact',
      id,
      name,
      version,
      type: record.type,
      digest: record.digest,
      createdAt: record.createdAt,
      size: record.size,
      files: record.files,
      ...(aliases.length === 0 ? {} : { aliases }),
      ...(record.uri === undefined ? {} : { uri: record.uri }),
      ...(Object.keys(metadata).length === 0
        ? {}
        : { metadata: metadata as ArtifactLineageNode['metadata'] }),
    };
  }

  private async readRun(id: string): Promise<RunLineageNode> {
    const run = id.slice('run:'.length);
    const pipeline = run.split('/')[0] ?? run;
    const stored = await readRunRecord(this.context.storage, run);
    if (stored === undefined) return { kind: 'run', id, run, pipeline, missing: true };
    const { record } = stored;
    const status = describeRun(record, { now: this.context.clock.now() });
    return {
      kind: 'run',
      id,
      run,
      pipeline,
      state: status.state,
      startedAt: record.startedAt,
      ...(record.finishedAt === undefined ? {} : { finishedAt: record.finishedAt }),
      ...(record.reason === undefined ? {} : { reason: record.reason }),
      ...(record.environment === undefined ? {} : { environment: record.environment.record }),
    };
  }

  /** The nodes one edge away, reading what records and edge listings say; adds the edges. */
  private async neighbours(id: string, direction: 'up' | 'down'): Promise<Neighbour[]> {
    const found: Neighbour[] = [];
    const add = (from: string, to: string, kind: LineageEdge['kind']) => {
      const edge = { from, to, kind };
      this.edges.set(`${from}\u0000${to}\u0000${kind}`, edge);
      found.push({ id: direction === 'up' ? from : to, edge });
    };
    const node = await this.node(id);
    if (node.kind === 'run') {
      if (node.missing === true) return found;
      const references =
        direction === 'up'
          ? await runInputs(this.context, node.run, this.signal)
          : await runOutputs(this.context, node.run, this.signal);
      for (const reference of references) {
        if (direction === 'up') add(reference, id, 'used');
        else add(id, reference, 'produced');
      }
    } else if (direction === 'up') {
      if (node.missing === true) return found;
      const record = await this.record(node.name, node.version);
      if (record === undefined) return found;
      if (record.run !== undefined) {
        const run = runNodeId(record.run);
        add(run, id, 'produced');
        // The run's inputs as it logged this version: kept even if its edge records are lost.
        for (const input of record.inputs) {
          this.edges.set(`${input}\u0000${run}\u0000used`, { from: input, to: run, kind: 'used' });
          await this.node(input);
        }
      }
      for (const parent of record.parents) add(parent, id, 'derived');
      // Runs that logged identical content again produced this version too.
      for (const run of await versionLoggers(this.context, node.name, node.version, this.signal)) {
        if (run !== record.run) add(runNodeId(run), id, 'produced');
      }
    } else {
      for (const run of await versionUsers(this.context, node.name, node.version, this.signal)) {
        add(id, runNodeId(run), 'used');
      }
      for (const child of await versionChildren(
        this.context,
        node.name,
        node.version,
        this.signal,
      )) {
        const { name, version } = parseArtifactReference(child) as {
          name: string;
          version: number;
        };
        const record = await this.record(name, version);
        // A child made through a run (one of its inputs) is reached through that run's used
        // edge; only explicit parents are direct edges.
        if (record === undefined || record.parents.includes(id)) add(id, child, 'derived');
      }
    }
    for (const neighbour of found) await this.node(neighbour.id);
    return found;
  }
}
