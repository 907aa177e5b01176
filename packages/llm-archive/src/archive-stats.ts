import type { ArchiveEntry } from './archive-entry.js';

/** Counts and sums over a set of attempts (a run, or one model of it). */
export interface CallStats {
  /** Distinct calls (a call's attempts count once). */
  readonly calls: number;
  /** Attempts that answered. */
  readonly successes: number;
  /** Attempts that failed. */
  readonly failures: number;
  /** Attempts after the first of their call (retries and fallbacks). */
  readonly retries: number;
  /** Calls served from the archive on a resumed run. */
  readonly replayed: number;
  /** Prompt tokens of answered attempts (those that said). */
  readonly promptTokens: number;
  /** Completion tokens of answered attempts (those that said). */
  readonly completionTokens: number;
  /** Dollars of the attempts whose cost is known. */
  readonly costUsd: number;
  /** Attempts whose cost is unknown (not counted in `costUsd`, never as 0). */
  readonly unknownCost: number;
  /** Median attempt latency, in milliseconds (undefined before any attempt). */
  readonly p50LatencyMs: number | undefined;
  /** 95th-percentile attempt latency, in milliseconds. */
  readonly p95LatencyMs: number | undefined;
  /** Failed attempts / all attempts. */
  readonly failureRate: number;
}

/** Stats of the run, and per model (the model that served, else the one asked for). */
export interface ArchiveStats {
  readonly run: CallStats;
  readonly models: Readonly<Record<string, CallStats>>;
}

/** Nearest-rank percentile of sorted values. */
function percentile(sorted: readonly number[], fraction: number): number | undefined {
  if (sorted.length === 0) return undefined;
  return sorted[Math.min(sorted.length - 1, Math.ceil(fraction * sorted.length) - 1)];
}

class Accumulator {
  private readonly calls = new Set<string>();
  private successes = 0;
  private failures = 0;
  private retries = 0;
  private replayed = 0;
  private promptTokens = 0;
  private completionTokens = 0;
  private costUsd = 0;
  private unknownCost = 0;
  private readonly latencies: number[] = [];

  add(entry: ArchiveEntry): void {
    this.calls.add(entry.call);
    if (entry.status === 'ok') this.successes += 1;
    else this.failures += 1;
    if (entry.attempt > 1) this.retries += 1;
    if (entry.replayed === true) this.replayed += 1;
    this.promptTokens += entry.promptTokens ?? 0;
    this.completionTokens += entry.completionTokens ?? 0;
    if (entry.cost === 'unknown') this.unknownCost += 1;
    else this.costUsd += entry.cost.usd;
    if (entry.replayed !== true) this.latencies.push(entry.latencyMs);
  }

  snapshot(): CallStats {
    const sorted = [...this.latencies].sort((left, right) => left - right);
    const attempts = this.successes + this.failures;
    return {
      calls: this.calls.size,
      successes: this.successes,
      failures: this.failures,
      retries: this.retries,
      replayed: this.replayed,
      promptTokens: this.promptTokens,
      completionTokens: this.completionTokens,
      costUsd: Math.round(this.costUsd * 1e10) / 1e10,
      unknownCost: this.unknownCost,
      p50LatencyMs: percentile(sorted, 0.5),
      p95LatencyMs: percentile(sorted, 0.95),
      failureRate: attempts === 0 ? 0 : this.failures / attempts,
    };
  }
}

/** Stats kept up to date as attempts are recorded. */
export class StatsKeeper {
  private readonly run = new Accumulator();
  private readonly models = new Map<string, Accumulator>();

  /** Adds one recorded attempt. */
  add(entry: ArchiveEntry): void {
    this.run.add(entry);
    const model = entry.servedModel ?? entry.requestedModel;
    let accumulator = this.models.get(model);
    if (accumulator === undefined) {
      accumulator = new Accumulator();
      this.models.set(model, accumulator);
    }
    accumulator.add(entry);
  }

  /** The stats now. */
  snapshot(): ArchiveStats {
    return {
      run: this.run.snapshot(),
      models: Object.fromEntries(
        [...this.models]
          .sort(([left], [right]) => (left < right ? -1 : 1))
          .map(([model, accumulator]) => [model, accumulator.snapshot()]),
      ),
    };
  }
}

/** Options of the failure-rate alert. */
export interface FailureAlertOptions {
  /** Attempts the rate is measured over (the most recent); default 20. */
  readonly window?: number;
  /** The failure rate (0–1) above which the alert fires; default 0.5. */
  readonly threshold?: number;
}

/** An alert: the failure rate of a model (or of all models: `model` undefined) passed the threshold. */
export interface FailureAlert {
  readonly run: string;
  readonly model: string | undefined;
  readonly failureRate: number;
  readonly window: number;
  readonly threshold: number;
  readonly at: string;
}

/**
 * Watches the failure rate over the last `window` attempts, overall and per model, and fires
 * once when it rises above the threshold (again only after it has fallen back to it or below).
 */
export class FailureWatch {
  private readonly windows = new Map<string, boolean[]>();
  private readonly firing = new Set<string>();
  readonly window: number;
  readonly threshold: number;

  constructor(options: FailureAlertOptions = {}) {
    this.window = options.window ?? 20;
    this.threshold = options.threshold ?? 0.5;
  }

  /** Adds an attempt; returns the alerts that fire because of it. */
  add(entry: ArchiveEntry): FailureAlert[] {
    if (entry.replayed === true) return [];
    const alerts: FailureAlert[] = [];
    for (const model of [undefined, entry.servedModel ?? entry.requestedModel]) {
      const key = model ?? '\u0000all';
      const outcomes = this.windows.get(key) ?? [];
      outcomes.push(entry.status !== 'ok');
      if (outcomes.length > this.window) outcomes.shift();
      this.windows.set(key, outcomes);
      const rate = outcomes.filter(Boolean).length / outcomes.length;
      if (outcomes.length < this.window || rate <= this.threshold) {
        if (rate <= this.threshold) this.firing.delete(key);
        continue;
      }
      if (this.firing.has(key)) continue;
      this.firing.add(key);
      alerts.push({
        run: entry.run,
        model,
        failureRate: rate,
        window: this.window,
        threshold: this.threshold,
        at: entry.at,
      });
    }
    return alerts;
  }
}
