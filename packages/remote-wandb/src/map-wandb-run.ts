import type { JsonValue, MetadataAnswer, RunState } from '@cairn/kernel';
import type { WandbRunPath } from './wandb-run-path.js';
import type { WandbRun } from './wandb-run-response.js';

/** Keys W&B adds to every config that say nothing about the run. */
const internalConfigKeys = new Set(['_wandb', 'wandb_version']);

/** W&B run states onto Cairn's. */
const states: Readonly<Record<string, RunState>> = {
  running: 'RUNNING',
  pending: 'RUNNING',
  finished: 'COMPLETED',
  failed: 'FAILED',
  crashed: 'INTERRUPTED',
  killed: 'INTERRUPTED',
  preempted: 'INTERRUPTED',
};

function parseJsonObject(text: string | null | undefined, what: string): Record<string, unknown> {
  if (text === null || text === undefined || text === '') return {};
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new SyntaxError(`its ${what} is not valid JSON`);
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new SyntaxError(`its ${what} is not a JSON object`);
  }
  return value as Record<string, unknown>;
}

/** JSON values only: W&B configs hold plain JSON, but guard against anything else. */
function toJson(value: unknown): JsonValue {
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return value;
  if (typeof value === 'number') return Number.isFinite(value) ? value : null;
  if (Array.isArray(value)) return value.map(toJson);
  if (typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, toJson(item)]));
  }
  return null;
}

/** The config without W&B's wrapping: each value arrives as `{ value, desc }`. */
export function unwrapConfig(config: Record<string, unknown>): Record<string, JsonValue> {
  const result: Record<string, JsonValue> = {};
  for (const [key, wrapped] of Object.entries(config)) {
    if (internalConfigKeys.has(key)) continue;
    const inner =
      wrapped !== null &&
      typeof wrapped === 'object' &&
      !Array.isArray(wrapped) &&
      'value' in wrapped
        ? (wrapped as { value: unknown }).value
        : wrapped;
    result[key] = toJson(inner);
  }
  return result;
}

/**
 * The numbers of a run summary, nested objects flattened with dots (`val.loss`). W&B's own
 * keys (`_runtime`, `_step`, `_timestamp`, `_wandb`) and anything not a finite number are left
 * out; histograms and media are objects whose numbers are not metrics of the checkpoint.
 */
export function summaryNumbers(summary: Record<string, unknown>): Record<string, number> {
  const result: Record<string, number> = {};
  const walk = (value: unknown, path: string, depth: number) => {
    if (typeof value === 'number') {
      if (Number.isFinite(value)) result[path] = value;
      return;
    }
    if (value === null || typeof value !== 'object' || Array.isArray(value) || depth > 4) return;
    const fields = value as Record<string, unknown>;
    if (typeof fields._type === 'string') return;
    for (const [key, inner] of Object.entries(fields)) walk(inner, `${path}.${key}`, depth + 1);
  };
  for (const [key, value] of Object.entries(summary)) {
    if (key.startsWith('_')) continue;
    walk(value, key, 0);
  }
  return result;
}

const wholeNumber = (value: unknown): number | undefined =>
  typeof value === 'number' && Number.isInteger(value) && value >= 0 ? value : undefined;

/** W&B writes times without a zone; they are UTC. */
function isoTime(text: string | null | undefined): string | undefined {
  if (text === null || text === undefined || text === '') return undefined;
  const zoned = /(?:Z|[+-]\d{2}:?\d{2})$/.test(text) ? text : `${text}Z`;
  const time = Date.parse(zoned);
  return Number.isNaN(time) ? undefined : new Date(time).toISOString();
}

/** The web page of a run: the API's host without `api.` (api.wandb.ai → wandb.ai). */
export function runUrl(baseUrl: string, path: WandbRunPath): string {
  const url = new URL(baseUrl);
  url.hostname = url.hostname.replace(/^api\./, '');
  url.pathname = `/${[path.entity, path.project, 'runs', path.runId].map(encodeURIComponent).join('/')}`;
  url.search = '';
  url.username = '';
  url.password = '';
  return url.toString();
}

/**
 * A run as a metadata answer: metadata is the unwrapped config plus `wandb` (where the run is
 * and how it was mapped), metrics the summary's numbers, the epoch and training step from the
 * summary (`epoch`, `_step`) or config when whole numbers.
 * @throws SyntaxError when `config` or `summaryMetrics` is not a JSON object.
 */
export function mapWandbRun(
  run: WandbRun,
  path: WandbRunPath,
  baseUrl: string,
  mappedBy: string,
): MetadataAnswer {
  const config = unwrapConfig(parseJsonObject(run.config, 'config'));
  const summary = parseJsonObject(run.summaryMetrics, 'summaryMetrics');
  const epoch = wholeNumber(summary.epoch) ?? wholeNumber(config.epoch);
  const trainingStep = wholeNumber(summary._step) ?? wholeNumber(summary.global_step);
  const createdAt = isoTime(run.createdAt);
  const url = runUrl(baseUrl, path);
  const state = run.state === null || run.state === undefined ? undefined : states[run.state];
  return {
    metadata: {
      ...config,
      wandb: {
        entity: path.entity,
        project: path.project,
        runId: run.name,
        ...(run.group ? { group: run.group } : {}),
        ...(run.jobType ? { jobType: run.jobType } : {}),
        mappedBy,
      },
    },
    metrics: summaryNumbers(summary),
    tags: [...new Set(run.tags ?? [])],
    run: {
      id: run.name,
      name: run.displayName || run.name,
      ...(state === undefined ? {} : { state }),
      url,
      ...(run.group ? { group: run.group } : {}),
      ...(run.jobType ? { jobType: run.jobType } : {}),
      ...(run.commit ? { commit: run.commit } : {}),
      ...(createdAt === undefined ? {} : { createdAt }),
    },
    ...(epoch === undefined ? {} : { epoch }),
    ...(trainingStep === undefined ? {} : { trainingStep }),
    ...(createdAt === undefined ? {} : { createdAt }),
    origin: url,
  };
}
