import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { CairnError, isCairnError } from '../errors/cairn-error.js';
import { type JournalEntry, type JournalEvent, summariseError } from '../journal/journal-events.js';
import { type JournalWriter, openJournalWriter } from '../journal/journal-writer.js';
import { type Logger, silentLogger } from '../logging/logger.js';
import { runId as makeRunId, parseRunId } from '../naming/layout.js';
import { validateName } from '../naming/names.js';
import { defaultTimeIds, type TimeIdGenerator } from '../naming/time-id.js';
import type { Storage } from '../storage/storage.js';
import { writeErrorRecord } from './error-record.js';
import { createRunLease, type RunLease } from './run-lease.js';
import type { RunRecord, StepRecord } from './run-record.js';
import { RunRecordWriter } from './run-record-writer.js';
import { describeRun, readRunRecord, staleHeartbeatIntervals } from './run-status.js';

/** Default time between heartbeats of a RUNNING run. */
export const defaultHeartbeatIntervalMs = 10_000;

/** Options for {@link startRun}. */
export interface StartRunOptions {
  /** Where the run lives. */
  readonly storage: Storage;
  /** The pipeline (or a name for a free-standing run). */
  readonly pipeline: string;
  /**
   * Continue this run (its id) instead of starting a new one: a new attempt of the same run,
   * appending to the same journal. Refused while another process still runs it.
   */
  readonly resume?: string;
  /**
   * Take over a run whose heartbeat is still fresh (its owner is presumed dead). Refused on a
   * storage without conditional writes, where the owner, if alive after all, would not notice
   * and would overwrite the takeover: wait there for its heartbeat to go stale.
   */
  readonly force?: boolean;
  /** The steps this attempt plans to run, for the journal. */
  readonly steps?: readonly string[];
  /** Time between heartbeats; default {@link defaultHeartbeatIntervalMs}. */
  readonly heartbeatIntervalMs?: number;
  /** How often the journal writes what was appended; default the journal's own. */
  readonly journalFlushIntervalMs?: number;
  /** Called with every journal entry as it is appended (a live view in the same process). */
  readonly onEntry?: (entry: JournalEntry) => void;
  /** Time source in milliseconds. */
  readonly now?: () => number;
  /** Id source. */
  readonly timeIds?: TimeIdGenerator;
  /** Where milestones and problems are logged. Silent by default. */
  readonly logger?: Logger;
}

/** A run this process owns: its record, its journal and its heartbeat. */
export interface Run {
  /** The run id, `<pipeline>/<time id>`. */
  readonly id: string;
  /** The pipeline. */
  readonly pipeline: string;
  /** 1 for a new run, more for a resumed one. */
  readonly attempt: number;
  /** The record as this attempt found it, when resuming. */
  readonly previous: RunRecord | undefined;
  /** The record as last written. */
  readonly record: RunRecord;
  /** The journal. */
  readonly journal: JournalWriter;
  /**
   * Aborted when this process loses the run (another process took it over), with a `CONFLICT`
   * CairnError as its reason. From then on the journal writes nothing more.
   */
  readonly signal: AbortSignal;
  /**
   * This attempt's lease on the run: pass it to `checkpoints.save({ …, lease })` so the
   * checkpoint commits only while this process still holds the run. Its `generation` is
   * `attempt`. On a storage without conditional writes it is not `enforceable` and a save
   * refuses it: save without it there.
   */
  readonly lease: RunLease;
  /** Appends an event to the journal; does nothing once the run is lost (`signal`). */
  emit(event: JournalEvent): void;
  /** Changes the record of step `name` (adding it when new) and stores the run record. */
  updateStep(name: string, change: Partial<StepRecord>): Promise<void>;
  /** Changes the run record and stores it. */
  update(change: (record: RunRecord) => RunRecord): Promise<void>;
  /** Stores an error record beside the run; returns its key. */
  recordError(error: unknown, step?: string): Promise<string>;
  /**
   * Ends the attempt: appends `run-finished`, flushes the journal, stores the final record
   * with the journal's head, stops the heartbeat. Safe to call once; later calls return the
   * same promise.
   */
  finish(
    state: 'COMPLETED' | 'FAILED' | 'INTERRUPTED',
    details?: { readonly reason?: string; readonly error?: unknown; readonly errorRecord?: string },
  ): Promise<RunRecord>;
}

/**
 * Starts a new run, or a new attempt of an existing one (`resume`), and keeps its heartbeat
 * until {@link Run.finish}.
 *
 * @throws CairnError `CONFLICT` when resuming a run another live process runs (fresh
 *   heartbeat) — pass `force` if that process is known dead; `NOT_FOUND` when the run to
 *   resume does not exist; `CORRUPT_DATA` when its journal cannot be continued (a damaged last
 *   segment, or fewer entries than the run record says were written), and then the run is
 *   left as it was; `UNSUPPORTED` for `force` on a run still running on a storage without
 *   conditional writes; `INVALID_OPTIONS` for bad names or intervals.
 */
export async function startRun(options: StartRunOptions): Promise<Run> {
  validateName('pipeline', options.pipeline);
  const now = options.now ?? Date.now;
  const logger = options.logger ?? silentLogger;
  const timeIds = options.timeIds ?? defaultTimeIds;
  const heartbeatIntervalMs = options.heartbeatIntervalMs ?? defaultHeartbeatIntervalMs;
  if (!Number.isInteger(heartbeatIntervalMs) || heartbeatIntervalMs < 10) {
    throw new CairnError({
      code: 'INVALID_OPTIONS',
      message: `heartbeatIntervalMs is ${heartbeatIntervalMs}; use a whole number of milliseconds, at least 10 (default ${defaultHeartbeatIntervalMs}).`,
    });
  }
  const iso = () => new Date(now()).toISOString();
  const owner = { host: hostname(), pid: process.pid, token: randomBytes(8).toString('hex') };

  let previous: RunRecord | undefined;
  let writer: RunRecordWriter;
  if (options.resume === undefined) {
    const id = makeRunId(options.pipeline, timeIds.next());
    const started = iso();
    writer = new RunRecordWriter(
      options.storage,
      {
        format: 'cairn.run/v1',
        id,
        pipeline: options.pipeline,
        state: 'RUNNING',
        attempt: 1,
        startedAt: started,
        attemptStartedAt: started,
        heartbeatAt: started,
        heartbeatIntervalMs,
        owner,
        steps: [],
      },
      undefined,
    );
  } else {
    const { pipeline } = parseRunId(options.resume);
    if (pipeline !== options.pipeline) {
      throw new CairnError({
        code: 'INVALID_OPTIONS',
        message: `Run "${options.resume}" belongs to pipeline "${pipeline}", not "${options.pipeline}".`,
      });
    }
    const stored = await readRunRecord(options.storage, options.resume);
    if (stored === undefined) {
      throw new CairnError({
        code: 'NOT_FOUND',
        message: `Cannot resume run "${options.resume}": it has no run record. List the pipeline's runs to see which exist.`,
        details: { run: options.resume },
      });
    }
    const status = describeRun(stored.record, { now: now() });
    if (status.state === 'RUNNING' && options.force !== true) {
      const { host, pid } = stored.record.owner;
      throw new CairnError({
        code: 'CONFLICT',
        retryable: false,
        message: `Run "${options.resume}" is still running (process ${pid} on ${host}, heartbeat ${Math.round(status.heartbeatAgeMs / 1000)} s ago). Wait for it to finish, stop it, or pass force if that process is dead.`,
        details: { run: options.resume, host, pid },
      });
    }
    if (status.state === 'RUNNING' && !options.storage.capabilities.conditionalWrites) {
      // Without compare-and-swap the live owner would not notice the takeover: its next
      // heartbeat would put its claim back, and both processes would write the run.
      const { host, pid } = stored.record.owner;
      const staleInSeconds = Math.ceil(
        Math.max(
          0,
          stored.record.heartbeatIntervalMs * staleHeartbeatIntervals - status.heartbeatAgeMs,
        ) / 1000,
      );
      throw new CairnError({
        code: 'UNSUPPORTED',
        message: `Cannot force a takeover of run "${options.resume}" (process ${pid} on ${host}, heartbeat ${Math.round(status.heartbeatAgeMs / 1000)} s ago) on the "${options.storage.name}" storage: it has no conditional writes, so if that process is still alive its heartbeats would overwrite this process's claim and both would write the run. Stop that process and resume without force once its heartbeat is stale (in about ${staleInSeconds} s), or use a storage with conditional writes.`,
        details: { run: options.resume, host, pid, storage: options.storage.name },
      });
    }
    previous = stored.record;
    const started = iso();
    writer = new RunRecordWriter(
      options.storage,
      {
        ...stored.record,
        state: 'RUNNING',
        attempt: stored.record.attempt + 1,
        attemptStartedAt: started,
        heartbeatAt: started,
        heartbeatIntervalMs,
        owner,
        finishedAt: undefined,
        reason: undefined,
        error: undefined,
      },
      stored.etag,
    );
  }
  const id = writer.record.id;

  // Aborted, with a CONFLICT as its reason, once another process owns the run: this one's lease
  // is lost and it writes nothing more to the run.
  const lost = new AbortController();
  const loseLease = (reason: CairnError) => {
    if (lost.signal.aborted) return;
    lost.abort(reason);
    logger.warn(
      { run: id, error: summariseError(reason) },
      'run was taken over by another process',
    );
  };
  // Opened before the claim, which it does not write to: a journal that cannot be continued
  // (damaged, or shorter than the record says) refuses the resume and leaves the run as it was.
  const journal = await openJournalWriter({
    storage: options.storage,
    run: id,
    resume: previous !== undefined,
    ...(previous?.journal !== undefined ? { expectedHead: previous.journal } : {}),
    logger,
    ...(options.journalFlushIntervalMs !== undefined
      ? { flushIntervalMs: options.journalFlushIntervalMs }
      : {}),
    now,
    leaseLost: lost.signal,
    // Another writer's segment where ours was to go: an old owner that has not noticed the
    // takeover yet, or the new owner of a run this process lost. The run record says which.
    checkOwnership: async () => {
      if (lost.signal.aborted) return false;
      const stored = await readRunRecord(options.storage, id);
      if (stored?.record.owner.token === owner.token) return true;
      const holder = stored?.record.owner;
      loseLease(
        new CairnError({
          code: 'CONFLICT',
          retryable: false,
          message: `Run "${id}" was taken over by ${holder ? `process ${holder.pid} on ${holder.host}` : 'another process'}: it wrote the run's journal and its record names another owner. This process stops writing to it.`,
          details: { run: id },
        }),
      );
      return false;
    },
  });

  // The record comes first: it is what makes the run visible and claims it.
  await writer.update((record) => record);

  const emit = (event: JournalEvent) => {
    // The journal of a run this process lost belongs to the new owner.
    if (lost.signal.aborted) return;
    const entry = journal.append(event);
    try {
      options.onEntry?.(entry);
    } catch (error) {
      // A broken live view must not stop the run, nor throw from the heartbeat's timer.
      logger.warn({ run: id, error: summariseError(error) }, 'onEntry listener threw');
    }
  };
  const store = (change: (record: RunRecord) => RunRecord) =>
    writer
      .update((record) => ({ ...change(record), journal: journal.head }))
      .catch((error) => {
        if (isCairnError(error, 'CONFLICT')) loseLease(error);
        throw error;
      });

  const heartbeat = setInterval(() => {
    // Nothing may be thrown from here: it would be an uncaught exception in the user's program.
    try {
      emit({ type: 'run-heartbeat' });
    } catch (error) {
      // The journal refuses entries once it met another writer it cannot continue after: as
      // when the run record says so, this process lost the run.
      if (isCairnError(error, 'CONFLICT')) loseLease(error);
      else {
        logger.error(
          { run: id, error: summariseError(error) },
          'heartbeat could not be journalled',
        );
      }
    }
    if (lost.signal.aborted) return;
    store((record) => ({ ...record, heartbeatAt: iso() })).catch((error) => {
      logger.warn({ run: id, error: summariseError(error) }, 'heartbeat could not be stored');
    });
  }, heartbeatIntervalMs);
  // A heartbeat never keeps a finished program alive, nor beats for a run this process lost.
  heartbeat.unref();
  lost.signal.addEventListener('abort', () => clearInterval(heartbeat), { once: true });

  emit({
    type: 'run-started',
    pipeline: options.pipeline,
    attempt: writer.record.attempt,
    host: owner.host,
    pid: owner.pid,
    ...(options.steps ? { steps: [...options.steps] } : {}),
  });
  logger.info({ run: id, attempt: writer.record.attempt }, 'run started');

  const lease = createRunLease({
    storage: options.storage,
    run: id,
    generation: writer.record.attempt,
    token: owner.token,
    lastEtag: () => writer.etag,
    lost: lost.signal,
    lose: loseLease,
  });

  let finishing: Promise<RunRecord> | undefined;
  const attemptStarted = now();
  return {
    id,
    pipeline: options.pipeline,
    attempt: writer.record.attempt,
    previous,
    get record() {
      return writer.record;
    },
    journal,
    signal: lost.signal,
    lease,
    emit,
    update: store,
    updateStep(name, change) {
      return store((record) => {
        const existing = record.steps.find((step) => step.name === name);
        const steps = existing
          ? record.steps.map((step) => (step.name === name ? { ...step, ...change } : step))
          : [...record.steps, { name, state: 'RUNNING', startedAt: iso(), ...change }];
        return { ...record, steps: steps as StepRecord[] };
      });
    },
    recordError(error, step) {
      return writeErrorRecord(options.storage, {
        run: id,
        error,
        now,
        timeIds,
        ...(step !== undefined ? { step } : {}),
      });
    },
    finish(state, details = {}) {
      finishing ??= (async () => {
        clearInterval(heartbeat);
        const error = details.error === undefined ? undefined : summariseError(details.error);
        emit({
          type: 'run-finished',
          state,
          durationMs: Math.max(0, now() - attemptStarted),
          ...(details.reason !== undefined ? { reason: details.reason } : {}),
          ...(error ? { error } : {}),
        });
        try {
          await journal.close();
        } catch (flushError) {
          // The record is still worth writing: it says how the run ended.
          logger.error(
            { run: id, error: summariseError(flushError) },
            'journal could not be flushed',
          );
        }
        await store((record) => ({
          ...record,
          state,
          heartbeatAt: iso(),
          finishedAt: iso(),
          ...(details.reason !== undefined ? { reason: details.reason } : {}),
          ...(error
            ? {
                error: {
                  ...error,
                  ...(details.errorRecord !== undefined ? { record: details.errorRecord } : {}),
                },
              }
            : {}),
        }));
        logger.info({ run: id, state }, 'run finished');
        return writer.record;
      })();
      return finishing;
    },
  };
}
