import { setTimeout as sleep } from 'node:timers/promises';
import { createSeededRandom, createTimeIdGenerator, runId } from '@cairn/kernel';
import {
  type ChildScript,
  type ChildScripts,
  type LineChild,
  startLineChild,
} from './checkpoint-child-process.js';
import type { CrashFault } from './checkpoint-crash-faults.js';
import {
  isLoaded,
  judgeTrial,
  type TrialExpectation,
  type VerifierReport,
} from './checkpoint-crash-report.js';
import type { VerifierRequest } from './checkpoint-crash-verifier.js';

/** The child scripts the harness runs. */
export const crashScriptNames = ['checkpoint-crash-writer.ts', 'checkpoint-crash-verifier.ts'];

/** Where a kill landed. */
export type KillPhase =
  | 'before-first-save'
  | 'mid-save-committed'
  | 'mid-save-uncommitted'
  | 'between-saves';

/** What {@link runCrashTrials} takes. */
export interface CrashHarnessOptions {
  /** The storage root every trial writes to (it accumulates checkpoints). */
  readonly root: string;
  /** Number of kills. */
  readonly trials: number;
  /** Seeds the kill delays; print it so a failing sequence can be run again. */
  readonly seed: number;
  /** From {@link prepareChildScripts} with {@link crashScriptNames}. */
  readonly scripts: ChildScripts;
  /** A broken storage for the harness's self-check; default none. */
  readonly fault?: CrashFault;
  /**
   * Kills land 0 to this many milliseconds after the writer is ready; default 300, or twice
   * the first save if that is longer (a loaded machine).
   */
  readonly maxDelayMs?: number;
  /** Checkpoints the verifier keeps after each trial (retention); default 6. */
  readonly keepLast?: number;
  /** Stop after the first failed trial (for the self-check). */
  readonly stopAtFirstFailure?: boolean;
  /** Progress lines. */
  readonly log?: (line: string) => void;
}

/** A trial whose verification found problems. */
export interface TrialFailure {
  readonly trial: number;
  readonly delayMs: number;
  readonly phase: KillPhase;
  readonly problems: readonly string[];
  /** The writer's last lines. */
  readonly writerTail: readonly string[];
}

/** What a run of trials saw. */
export interface CrashSummary {
  readonly trials: number;
  readonly seed: number;
  readonly phases: Readonly<Record<KillPhase, number>>;
  /** Saves acknowledged by all writers. */
  readonly acknowledged: number;
  /** Checkpoints loaded and checked by the verifier, over all trials. */
  readonly loadsChecked: number;
  /** Payloads without a sidecar found on disk at the end (saves killed before commit). */
  readonly orphanPayloads: number;
  /** Checkpoints the retention pass deleted. */
  readonly pruned: number;
  /** Most empty lock files seen after one kill (see `VerifierReport.emptyLocks`). */
  readonly mostEmptyLocks: number;
  readonly failures: readonly TrialFailure[];
  readonly elapsedMs: number;
  /** Mean milliseconds per trial: GO to READY (open and cleanup), kill delay, verification. */
  readonly meanMs: { readonly ready: number; readonly delay: number; readonly verify: number };
  /** How the child scripts ran. */
  readonly mode: ChildScript['mode'];
}

function scriptOf(scripts: ChildScripts, name: string): ChildScript {
  const script = scripts.scripts.get(name);
  if (script === undefined) throw new Error(`child script ${name} was not prepared`);
  return script;
}

function phaseOf(writerLines: readonly string[], report: VerifierReport): KillPhase {
  const last = writerLines.filter((line) => line !== 'READY').at(-1);
  if (last === undefined) return 'before-first-save';
  if (last.startsWith('ACK ')) return 'between-saves';
  const begun = Number(last.slice('BEGIN '.length));
  return isLoaded(report.latest) && report.latest.counter === begun
    ? 'mid-save-committed'
    : 'mid-save-uncommitted';
}

/** One line describing a summary, for the test output. */
export function describeSummary(summary: CrashSummary): string {
  const { phases } = summary;
  const midSave = phases['mid-save-committed'] + phases['mid-save-uncommitted'];
  return (
    `${summary.trials} kills (seed ${summary.seed}): ${midSave} mid-save (${phases['mid-save-committed']} after the commit, before the acknowledgement; ${phases['mid-save-uncommitted']} before the commit), ` +
    `${phases['between-saves']} between saves, ${phases['before-first-save']} before the first save; ` +
    `${summary.acknowledged} saves acknowledged, ${summary.loadsChecked} loads checked, ${summary.pruned} pruned, ${summary.orphanPayloads} uncommitted payloads left, at most ${summary.mostEmptyLocks} empty lock files; ` +
    `${summary.failures.length === 0 ? 'latest always verified' : `${summary.failures.length} trials FAILED`} in ${(summary.elapsedMs / 1000).toFixed(1)} s (${summary.mode} children; per trial ${summary.meanMs.ready} ms to ready, ${summary.meanMs.delay} ms to the kill, ${summary.meanMs.verify} ms to verify)`
  );
}

/**
 * Kills a checkpoint writer with SIGKILL `trials` times at random moments and, after each
 * kill, has a separate verifier process check what survived (see `judgeTrial`).
 */
export async function runCrashTrials(options: CrashHarnessOptions): Promise<CrashSummary> {
  const started = Date.now();
  const { root, trials, seed, scripts } = options;
  const fault = options.fault ?? 'none';
  // Kills must land both inside saves and after some are acknowledged. How long a save takes
  // depends on the machine's load (other suites share the 2 cores), so unless told, the range
  // is stretched to twice the first save measured under the current load.
  let maxDelayMs = options.maxDelayMs ?? 300;
  const keepLast = options.keepLast ?? 6;
  const log = options.log ?? (() => {});
  const random = createSeededRandom(seed);
  const run = runId('crash', createTimeIdGenerator().next());
  const step = 'train';
  const writerScript = scriptOf(scripts, 'checkpoint-crash-writer.ts');
  const startWriter = () => startLineChild(writerScript, [root, run, step, fault]);
  const verifier = startLineChild(scriptOf(scripts, 'checkpoint-crash-verifier.ts'), []);
  let answered = 0;

  const phases: Record<KillPhase, number> = {
    'before-first-save': 0,
    'mid-save-committed': 0,
    'mid-save-uncommitted': 0,
    'between-saves': 0,
  };
  const failures: TrialFailure[] = [];
  let acknowledged = 0;
  let loadsChecked = 0;
  let pruned = 0;
  let orphanPayloads = 0;
  let mostEmptyLocks = 0;
  let lastAttempted = 0;
  let lastAcked: TrialExpectation['lastAcked'];
  let trial = 0;
  const totalMs = { ready: 0, delay: 0, verify: 0 };
  // The next writer starts loading while the current one runs and is checked: it touches
  // nothing before it is told GO.
  let next: LineChild | undefined = startWriter();
  let current: LineChild | undefined;
  try {
    for (trial = 1; trial <= trials; trial++) {
      const writer: LineChild = next ?? startWriter();
      current = writer;
      next = undefined;
      // The load may grow after the first save: every 20 trials, a range that let fewer than
      // one save in two trials be acknowledged is widened (still capped).
      if (options.maxDelayMs === undefined && trial % 20 === 1 && trial > 1) {
        if (acknowledged < (trial - 1) / 2) maxDelayMs = Math.min(5_000, maxDelayMs * 1.5);
      }
      const delayMs = Math.floor(random() * maxDelayMs);
      const go = Date.now();
      writer.send(`GO ${lastAttempted + 1}`);
      if (trial < trials) next = startWriter();
      await writer.waitForLine((line) => line === 'READY', 60_000);
      totalMs.ready += Date.now() - go;
      if (trial === 1) {
        // The first save on a fresh root creates the step's folders under their key locks. A
        // writer killed after creating a lock file but before writing its owner into it leaves
        // an empty lock that the fs storage only breaks after staleLockAfterMs (a minute),
        // so every later writer would wait on it (and time out after lockTimeoutMs): the
        // first kill waits for the first acknowledgement. Later saves only lock keys of their
        // own, never blocked by such a lock.
        const ready = Date.now();
        await writer.waitForLine((line) => line.startsWith('ACK '), 60_000);
        if (options.maxDelayMs === undefined) {
          // Capped: a first save that stalled must not make every trial wait for seconds.
          maxDelayMs = Math.min(5_000, Math.max(maxDelayMs, 2 * (Date.now() - ready)));
        }
      }
      totalMs.delay += delayMs;
      await sleep(delayMs);
      writer.process.kill('SIGKILL');
      const exit = await writer.exited;
      if (exit.signal !== 'SIGKILL') {
        throw new Error(
          `trial ${trial}: the writer exited by itself (${exit.code ?? exit.signal}) instead of being killed: ${writer.errors()}`,
        );
      }

      for (const line of writer.lines) {
        const [word, counter, id] = line.split(' ');
        if (word === 'BEGIN') lastAttempted = Math.max(lastAttempted, Number(counter));
        if (word === 'ACK' && id !== undefined) {
          lastAcked = { counter: Number(counter), id };
          acknowledged += 1;
        }
      }
      const request: VerifierRequest = {
        root,
        run,
        step,
        keepLast,
        protect: lastAcked === undefined ? [] : [lastAcked.id],
      };
      const verifying = Date.now();
      verifier.send(JSON.stringify(request));
      const index = answered++;
      const report = JSON.parse(
        await verifier.waitForLine((_line, lineIndex) => lineIndex === index, 120_000),
      ) as VerifierReport;
      totalMs.verify += Date.now() - verifying;
      loadsChecked += report.listed.length + (report.latest === undefined ? 0 : 1);
      pruned += report.pruned;
      orphanPayloads = report.disk.orphanPayloads;
      mostEmptyLocks = Math.max(mostEmptyLocks, report.emptyLocks);

      const phase = phaseOf(writer.lines, report);
      phases[phase] += 1;
      const problems = judgeTrial(report, {
        lastAttempted,
        ...(lastAcked === undefined ? {} : { lastAcked }),
      });
      if (problems.length > 0) {
        failures.push({ trial, delayMs, phase, problems, writerTail: writer.lines.slice(-4) });
        log(
          `trial ${trial} (seed ${seed}, ${delayMs} ms, ${phase}) FAILED: ${problems.join('; ')}`,
        );
        if (options.stopAtFirstFailure) break;
      }
      if (trial % 25 === 0) log(`${trial}/${trials} kills, ${Date.now() - started} ms`);
    }
  } finally {
    for (const writer of [current, next]) {
      if (writer === undefined) continue;
      writer.process.kill('SIGKILL');
      await writer.exited;
    }
    verifier.process.stdin?.end();
    await verifier.exited;
  }
  const done = Math.max(1, Math.min(trial, trials));
  return {
    trials: Math.min(trial, trials),
    seed,
    phases,
    acknowledged,
    loadsChecked,
    orphanPayloads,
    pruned,
    mostEmptyLocks,
    failures,
    elapsedMs: Date.now() - started,
    meanMs: {
      ready: Math.round(totalMs.ready / done),
      delay: Math.round(totalMs.delay / done),
      verify: Math.round(totalMs.verify / done),
    },
    mode: writerScript.mode,
  };
}
