import { type CheckpointRecord, formatSidecar } from '../checkpoints/checkpoint-record.js';
import type { SkippedSourceReason } from './indexed-sidecar.js';

/** One sidecar `index` wrote, would write, or left alone. */
export interface IndexedCheckpoint {
  /** The checkpoint's id, `<step>/<time id>`. */
  readonly id: string;
  /** The payload it describes. */
  readonly payloadKey: string;
  /** Where its sidecar is. */
  readonly sidecarKey: string;
  /** The source that described it. */
  readonly source: string;
  /** The sidecar. */
  readonly record: CheckpointRecord;
}

/** A sidecar written for a payload that replaced the one an older sidecar described. */
export interface ReplacedCheckpoint extends IndexedCheckpoint {
  /** The older sidecars removed (empty when the id stayed and the sidecar was rewritten). */
  readonly replacedIds: readonly string[];
}

/** A payload no source could describe. */
export interface SkippedPayload {
  /** Its key. */
  readonly payloadKey: string;
  /** Every source asked, with why it did not answer. */
  readonly reasons: readonly SkippedSourceReason[];
}

/** What `indexCheckpoints` did (or, in a dry run, would do). */
export interface IndexReport {
  /** True when nothing was written: the report is the plan. */
  readonly dryRun: boolean;
  /** New sidecars. */
  readonly created: readonly IndexedCheckpoint[];
  /** Sidecars rewritten in place because what the sources say changed. */
  readonly rewritten: readonly IndexedCheckpoint[];
  /** Sidecars of payloads replaced since the last run (their etag changed). */
  readonly replaced: readonly ReplacedCheckpoint[];
  /** Sidecars that already say exactly this (ignoring when they were written). */
  readonly unchanged: readonly IndexedCheckpoint[];
  /** Sidecars of payloads that are gone since an earlier run, removed. */
  readonly removed: readonly IndexedCheckpoint[];
  /** Payloads no source could describe. */
  readonly skipped: readonly SkippedPayload[];
}

/** Options of {@link formatIndexPlan}. */
export interface FormatIndexPlanOptions {
  /** Also print each sidecar that is created, rewritten or replaced, as YAML. */
  readonly verbose?: boolean;
}

const indent = (text: string) =>
  text
    .trimEnd()
    .split('\n')
    .map((line) => `    ${line}`)
    .join('\n');

/**
 * The report as text, one line per payload: `create`, `rewrite`, `replace`, `unchanged` or
 * `skipped` with the reasons, then a count. With `verbose`, each sidecar to write follows its
 * line as YAML.
 */
export function formatIndexPlan(report: IndexReport, options: FormatIndexPlanOptions = {}): string {
  const lines: string[] = [];
  const add = (action: string, checkpoint: IndexedCheckpoint, extra = '', write = true) => {
    lines.push(
      `${action.padEnd(9)} ${checkpoint.sidecarKey}  <- ${checkpoint.payloadKey} (${checkpoint.source})${extra}`,
    );
    if (write && options.verbose) lines.push(indent(formatSidecar(checkpoint.record)));
  };
  for (const checkpoint of report.created) add('create', checkpoint);
  for (const checkpoint of report.rewritten) add('rewrite', checkpoint);
  for (const checkpoint of report.replaced) {
    const removed =
      checkpoint.replacedIds.length === 0 ? '' : `, removes ${checkpoint.replacedIds.join(', ')}`;
    add('replace', checkpoint, removed);
  }
  for (const checkpoint of report.unchanged) add('unchanged', checkpoint, '', false);
  for (const checkpoint of report.removed)
    add('remove', checkpoint, ', its payload is gone', false);
  for (const skipped of report.skipped) {
    const reasons = skipped.reasons.map((reason) => `${reason.source}: ${reason.reason}`);
    lines.push(`${'skipped'.padEnd(9)} ${skipped.payloadKey}  (${reasons.join('; ')})`);
  }
  const verb = report.dryRun ? 'would create' : 'created';
  lines.push(
    `${report.dryRun ? 'Dry run: ' : ''}${verb} ${report.created.length}, ${report.dryRun ? 'would rewrite' : 'rewrote'} ${report.rewritten.length}, ${report.dryRun ? 'would replace' : 'replaced'} ${report.replaced.length}, unchanged ${report.unchanged.length}, ${report.dryRun ? 'would remove' : 'removed'} ${report.removed.length}, skipped ${report.skipped.length}.`,
  );
  return `${lines.join('\n')}\n`;
}
