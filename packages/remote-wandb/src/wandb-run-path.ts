import type { JsonValue } from '@cairn/kernel';

/** A W&B run: the `entity/project/runId` of its URL. */
export interface WandbRunPath {
  /** The user or team owning the project. */
  readonly entity: string;
  /** The project. */
  readonly project: string;
  /** The run's id (the last part of its URL, not its display name). */
  readonly runId: string;
}

/** `entity/project/runId`. */
export function formatRunPath(path: WandbRunPath): string {
  return `${path.entity}/${path.project}/${path.runId}`;
}

/**
 * A run path from `entity/project/runId` or `entity/project/runs/runId` (as a run's URL path
 * has it); undefined when the text is neither.
 */
export function parseRunPath(text: string): WandbRunPath | undefined {
  const parts = text
    .trim()
    .replace(/^\/+|\/+$/g, '')
    .split('/');
  if (parts.length === 4 && parts[2] === 'runs') parts.splice(2, 1);
  if (parts.length !== 3 || parts.some((part) => part === '' || /\s/.test(part))) return undefined;
  const [entity, project, runId] = parts as [string, string, string];
  return { entity, project, runId };
}

const text = (value: JsonValue | undefined): string | undefined =>
  typeof value === 'string' && value.trim() !== '' ? value.trim() : undefined;

/**
 * The run a sidecar's metadata names: `wandb` as `{ entity, project, run | runId | id }` or as
 * a path string, or `wandb_run_path`. Entity and project missing from the object come from
 * `defaults`.
 */
export function runPathFromMetadata(
  metadata: Readonly<Record<string, JsonValue>>,
  defaults: { readonly entity?: string | undefined; readonly project?: string | undefined },
): WandbRunPath | undefined {
  const named = metadata.wandb;
  if (typeof named === 'string') return parseRunPath(named);
  const pathText = text(metadata.wandb_run_path) ?? text(metadata.wandbRunPath);
  if (pathText !== undefined) return parseRunPath(pathText);
  if (named === null || typeof named !== 'object' || Array.isArray(named)) return undefined;
  const fields = named as Record<string, JsonValue>;
  const runId = text(fields.runId) ?? text(fields.run) ?? text(fields.id);
  const entity = text(fields.entity) ?? defaults.entity;
  const project = text(fields.project) ?? defaults.project;
  if (runId === undefined || entity === undefined || project === undefined) return undefined;
  return { entity, project, runId };
}
