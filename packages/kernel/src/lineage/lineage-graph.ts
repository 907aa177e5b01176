import type { JsonValue } from '../checkpoints/json-value.js';
import type { RunState } from '../runs/run-record.js';

/**
 * The lineage graph: artifact versions and runs, and the edges between them. Plain data (JSON
 * round-trips it unchanged), so exporters, the monitor and tests build and read it without the
 * storage it came from.
 *
 * Node ids: an artifact version is `<name>:v<n>` (`dataset-x:v2`), a run is `run:<run id>`
 * (`run:train/20250810T143022.123Z-k3f9a2`). Artifact names cannot hold `:` or `/`, so the two
 * never collide.
 */
export interface LineageGraph {
  /** Every node, artifact versions and runs, in no particular order. */
  readonly nodes: readonly LineageNode[];
  /** Every edge; `from` and `to` are node ids. */
  readonly edges: readonly LineageEdge[];
  /**
   * Named pointers seen while building the graph, including those whose version is not a node
   * (a dangling alias, which {@link validateLineage} reports).
   */
  readonly aliases: readonly LineageAlias[];
}

/** A node of the lineage graph. */
export type LineageNode = ArtifactLineageNode | RunLineageNode;

/** The artifact types Cairn knows, with naming conventions of their own; any other is custom. */
export const artifactTypes = [
  'dataset',
  'model',
  'checkpoint',
  'evaluation',
  'metrics',
  'experience-buffer',
  'config',
  'report',
] as const;

/** A known artifact type, or a custom one (a name: letters, digits, `_`, `-`, `.`). */
export type ArtifactType = (typeof artifactTypes)[number] | (string & {});

/** One version of an artifact. */
export interface ArtifactLineageNode {
  /** Discriminates artifact versions from runs. */
  readonly kind: 'artifact';
  /** `<name>:v<version>`. */
  readonly id: string;
  /** The artifact's name, e.g. `dataset-x`. */
  readonly name: string;
  /** The version number, from 1. */
  readonly version: number;
  /** The artifact's type, e.g. `dataset` or `model`. */
  readonly type: ArtifactType;
  /** The content digest, `sha256:<hex>`; absent for a node that is only referenced (`missing`). */
  readonly digest?: string;
  /** When the version was logged (ISO 8601). */
  readonly createdAt?: string;
  /** Aliases that point at this version, e.g. `latest`, `best`. */
  readonly aliases?: readonly string[];
  /**
   * Where the content lives when it is a reference to an external object, e.g.
   * `s3://bucket/data/train.parquet`; exporters use it to namespace datasets.
   */
  readonly uri?: string;
  /** Total size of the content in bytes. */
  readonly size?: number;
  /** Files in the version's manifest. */
  readonly files?: number;
  /** Metadata added to the version (free-form JSON). */
  readonly metadata?: { readonly [key: string]: JsonValue };
  /**
   * True when an edge names this version but its record does not exist (deleted, or written
   * by a writer that crashed): kept as a node so the gap is visible, and reported by
   * {@link validateLineage}.
   */
  readonly missing?: boolean;
}

/** One run. */
export interface RunLineageNode {
  /** Discriminates runs from artifact versions. */
  readonly kind: 'run';
  /** `run:<run id>`. */
  readonly id: string;
  /** The run id, `<pipeline>/<time id>`. */
  readonly run: string;
  /** The pipeline (or run name). */
  readonly pipeline: string;
  /** The run's state, when its record was read. */
  readonly state?: RunState;
  /** When the run started (ISO 8601). */
  readonly startedAt?: string;
  /** When it reached a final state. */
  readonly finishedAt?: string;
  /** Why a FAILED or INTERRUPTED run stopped. */
  readonly reason?: string;
  /** The key of the run's environment capture, when one was taken. */
  readonly environment?: string;
  /** True when an edge names this run but its record does not exist. */
  readonly missing?: boolean;
}

/**
 * What an edge means, always in the direction data flows:
 * - `used`: artifact version → run that used it as an input;
 * - `produced`: run → artifact version it logged;
 * - `derived`: parent artifact version → artifact version made from it (a parent given
 *   explicitly, with or without a run).
 */
export type LineageEdgeKind = 'used' | 'produced' | 'derived';

/** A directed edge, in the direction data flows (parent → child). */
export interface LineageEdge {
  /** Node id of the parent (an input, or the run that produced). */
  readonly from: string;
  /** Node id of the child. */
  readonly to: string;
  /** What the edge means. */
  readonly kind: LineageEdgeKind;
}

/** An alias of an artifact, as found in storage. */
export interface LineageAlias {
  /** The artifact name. */
  readonly name: string;
  /** The alias, e.g. `latest` or `best`. */
  readonly alias: string;
  /** The version it points at. */
  readonly version: number;
}

/** The node id of version `version` of artifact `name`. */
export function artifactNodeId(name: string, version: number): string {
  return `${name}:v${version}`;
}

/** The node id of run `run` (`<pipeline>/<time id>`). */
export function runNodeId(run: string): string {
  return `run:${run}`;
}

/**
 * A `missing` placeholder for a node id that edges name but no record describes: a run
 * (`run:<run id>`) or an artifact version (`<name>:v<n>`; version 0 when the id has none).
 */
export function lineagePlaceholder(id: string): LineageNode {
  if (id.startsWith('run:')) {
    const run = id.slice('run:'.length);
    return { kind: 'run', id, run, pipeline: run.split('/')[0] ?? run, missing: true };
  }
  const at = id.lastIndexOf(':v');
  const version = at > 0 ? Number(id.slice(at + 2)) : Number.NaN;
  return {
    kind: 'artifact',
    id,
    name: at > 0 ? id.slice(0, at) : id,
    version: Number.isSafeInteger(version) ? version : 0,
    type: 'unknown',
    missing: true,
  };
}
