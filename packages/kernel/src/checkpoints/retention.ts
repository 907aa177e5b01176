import { z } from 'zod';
import { CairnError } from '../errors/cairn-error.js';
import type { CheckpointRecord } from './checkpoint-record.js';
import { checkpointsBackend } from './checkpoints-backend.js';

const count = z.number().int().positive().max(1_000_000);

/**
 * One retention rule, plain JSON so it can live in a config file. A checkpoint is kept when any
 * rule of a prune keeps it.
 */
export const retentionRuleSchema = z.discriminatedUnion('kind', [
  z
    .object({
      /** Keep the newest `count`. */
      kind: z.literal('last'),
      count,
    })
    .strict(),
  z
    .object({
      /**
       * Keep the `count` with the lowest (`min`) or highest (`max`) value of `metric`; ties go
       * to the newer. Checkpoints lacking the metric are kept: they cannot be ranked, and
       * deleting what cannot be judged would lose work on a typo in the metric's name.
       */
      kind: z.literal('best'),
      count,
      metric: z.string().min(1).max(200),
      order: z.enum(['min', 'max']),
    })
    .strict(),
  z
    .object({
      /**
       * Keep the n-th, 2n-th, … checkpoint of the run's step, counted by the `sequence` the
       * store recorded at save time (its position among existing ones when there is none),
       * so repeated prunes keep the same checkpoints.
       */
      kind: z.literal('every'),
      interval: count,
    })
    .strict(),
]);

/** One retention rule; see {@link retentionRuleSchema}. */
export type RetentionRule = z.infer<typeof retentionRuleSchema>;

/** What {@link CheckpointStore.prune} takes. */
export interface PruneRequest {
  /** The run whose checkpoints are pruned; no other run's are touched. */
  readonly run: string;
  /** The step whose checkpoints are pruned; no other step's are touched. */
  readonly step: string;
  /** Rules; a checkpoint any rule keeps is kept. Must not be empty. */
  readonly keep: readonly RetentionRule[];
  /** Checkpoint ids never to delete, besides those given to `protect()`. */
  readonly protect?: readonly string[];
  /** Report what would be deleted without deleting anything. */
  readonly dryRun?: boolean;
  /** Cancels the prune between deletions. */
  readonly signal?: AbortSignal;
}

/** What a prune kept and deleted (or, in a dry run, would delete). */
export interface PruneReport {
  /** Whether this was a dry run. */
  readonly dryRun: boolean;
  /** Checkpoints kept, oldest first, with every reason that keeps each. */
  readonly kept: readonly { readonly id: string; readonly reasons: readonly string[] }[];
  /** Checkpoints deleted (or to be deleted), oldest first, with their payload size. */
  readonly deleted: readonly { readonly id: string; readonly size: number }[];
}

function validRule(rule: unknown): RetentionRule {
  const parsed = retentionRuleSchema.safeParse(rule);
  if (parsed.success) return parsed.data;
  throw invalidRule(rule, parsed.error.issues);
}

function invalidRule(rule: unknown, issues: readonly z.core.$ZodIssue[]): CairnError {
  const problems = issues.map((issue) => `${issue.path.join('.') || 'rule'}: ${issue.message}`);
  return new CairnError({
    code: 'INVALID_OPTIONS',
    backend: checkpointsBackend,
    message: `Invalid retention rule ${safeJson(rule)}: ${problems.join('; ')}. Build rules with keepLast(n), keepBest(k, metric, 'min' | 'max') or keepEvery(n).`,
    details: { problems },
  });
}

function safeJson(value: unknown): string {
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}

/** Keeps the newest `count` checkpoints. */
export function keepLast(count: number): RetentionRule {
  return validRule({ kind: 'last', count });
}

/** Keeps the `count` checkpoints with the lowest (`min`) or highest (`max`) `metric`. */
export function keepBest(count: number, metric: string, order: 'min' | 'max'): RetentionRule {
  return validRule({ kind: 'best', count, metric, order });
}

/** Keeps every `interval`-th checkpoint (the `interval`-th, 2·`interval`-th, …). */
export function keepEvery(interval: number): RetentionRule {
  return validRule({ kind: 'every', interval });
}

/**
 * Checks a prune's rules.
 * @throws CairnError `INVALID_OPTIONS` for an empty list (it would delete everything) or a bad rule.
 */
export function validateRetentionRules(rules: unknown): RetentionRule[] {
  if (!Array.isArray(rules) || rules.length === 0) {
    throw new CairnError({
      code: 'INVALID_OPTIONS',
      backend: checkpointsBackend,
      message:
        'A prune needs at least one retention rule in `keep`: with none, every checkpoint would be deleted. Pass e.g. keep: [keepLast(3)].',
    });
  }
  return rules.map(validRule);
}

/** How a rule is named in reasons: `keepLast(3)`. */
export function describeRule(rule: RetentionRule): string {
  switch (rule.kind) {
    case 'last':
      return `keepLast(${rule.count})`;
    case 'best':
      return `keepBest(${rule.count}, ${JSON.stringify(rule.metric)}, '${rule.order}')`;
    case 'every':
      return `keepEvery(${rule.interval})`;
  }
}

/** The reason a protected checkpoint is kept. */
export const protectedReason = 'protected';

/** The decision for each of a run's checkpoints of one step. */
export interface RetentionDecision {
  /** Kept, oldest first, with reasons. */
  readonly kept: { readonly record: CheckpointRecord; readonly reasons: string[] }[];
  /** To delete, oldest first. */
  readonly deleted: CheckpointRecord[];
}

/**
 * Decides which of `records` (one run's checkpoints of one step, oldest first) the rules keep.
 * Pure: the caller deletes.
 */
export function decideRetention(
  records: readonly CheckpointRecord[],
  rules: readonly RetentionRule[],
  protectedIds: ReadonlySet<string>,
): RetentionDecision {
  const reasons = new Map<string, string[]>(records.map((record) => [record.id, []]));
  const keep = (record: CheckpointRecord, reason: string) => {
    reasons.get(record.id)?.push(reason);
  };
  for (const record of records) if (protectedIds.has(record.id)) keep(record, protectedReason);
  for (const rule of rules) {
    const name = describeRule(rule);
    switch (rule.kind) {
      case 'last':
        for (const record of records.slice(-rule.count)) keep(record, name);
        break;
      case 'best': {
        const ranked: { record: CheckpointRecord; value: number; position: number }[] = [];
        records.forEach((record, position) => {
          const value = record.metrics[rule.metric];
          if (value === undefined || !Number.isFinite(value)) {
            keep(record, `${name}: has no "${rule.metric}" metric to rank by`);
          } else ranked.push({ record, value, position });
        });
        ranked.sort(
          (left, right) =>
            (rule.order === 'min' ? left.value - right.value : right.value - left.value) ||
            right.position - left.position,
        );
        for (const { record } of ranked.slice(0, rule.count)) keep(record, name);
        break;
      }
      case 'every':
        records.forEach((record, position) => {
          if ((record.sequence ?? position + 1) % rule.interval === 0) keep(record, name);
        });
        break;
    }
  }
  const decision: RetentionDecision = { kept: [], deleted: [] };
  for (const record of records) {
    const recordReasons = reasons.get(record.id) ?? [];
    if (recordReasons.length > 0) decision.kept.push({ record, reasons: recordReasons });
    else decision.deleted.push(record);
  }
  return decision;
}
