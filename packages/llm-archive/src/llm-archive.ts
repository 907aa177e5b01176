import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { silentLogger, systemClock } from '@cairn/kernel';
import type { z } from 'zod';
import type { ArchiveEntry } from './archive-entry.js';
import {
  type ArchiveRun,
  type LlmArchiveOptions,
  resolveArchiveOptions,
} from './archive-options.js';
import { type ArchiveStats, FailureWatch, StatsKeeper } from './archive-stats.js';
import { type ArchiveRepair, ArchiveWriter } from './archive-writer.js';
import type { CallContext, StoredResponse } from './call-context.js';
import { parseJsonAnswer } from './extract-json.js';
import type { LlmAnswer, LlmCallOptions, LlmCallResult } from './llm-call.js';
import { plainCall } from './plain-call.js';
import { type LlmStreamCallOptions, type LlmStreamCallResult, streamCall } from './stream-call.js';
import { type ArchiveVerification, verifyArchive } from './verify-archive.js';

/** A run's LLM archive: record calls, replay answered ones, report stats. */
export interface LlmArchive {
  /** The run. */
  readonly run: string;
  /** Where this run's archive is. */
  readonly folder: string;
  /** Whether identical answered requests are served from the archive. */
  readonly replaying: boolean;
  /** What opening repaired (a torn tail), if anything. */
  readonly repair: ArchiveRepair | undefined;
  /**
   * Makes an LLM call through the archive: replays it when an identical request was answered
   * (and replay is on), else tries `model` then each `fallback` under the retry policy; every
   * attempt is recorded, durably, before this returns or throws.
   * @throws the last attempt's error (a CairnError with `details.errorClass`), or
   *   `RETRIES_EXHAUSTED` listing every model's failure.
   */
  call(options: LlmCallOptions): Promise<LlmCallResult>;
  /**
   * A call whose answer must hold JSON matching `schema` (in a code fence or amid prose is
   * fine): an answer that does not is recorded as a failed attempt, its raw text kept, and
   * asked again under the retry policy. Returns the parsed value with the call's result.
   */
  callJson<Schema extends z.ZodType>(
    options: Omit<LlmCallOptions, 'accept'> & { readonly schema: Schema },
  ): Promise<LlmCallResult & { readonly value: z.output<Schema> }>;
  /**
   * Streams an LLM call through the archive: opening the stream is retried and falls back like
   * `call`; the stream ends for the caller only once the answer is recorded, and a cancelled
   * stream is recorded with its partial text. Replayed from the archive like `call`.
   */
  callStream(options: LlmStreamCallOptions): Promise<LlmStreamCallResult>;
  /** Stats of the run and per model. */
  stats(): ArchiveStats;
  /** Checks the archive end to end (see `verifyArchive`). */
  verify(): Promise<ArchiveVerification>;
  /** Waits for records in flight and closes the index. */
  close(): Promise<void>;
}

function isResumed(run: ArchiveRun, existing: readonly ArchiveEntry[]): boolean {
  return (typeof run === 'object' && (run.attempt ?? 1) > 1) || existing.length > 0;
}

/**
 * Opens the archive of a run (creating it, or continuing it after a crash: a torn last entry
 * is repaired) and returns the recorder.
 *
 * @throws CairnError `INVALID_OPTIONS` for bad options; `CORRUPT_DATA` when an entry before the
 *   end of the index is damaged.
 */
export async function openLlmArchive(options: LlmArchiveOptions): Promise<LlmArchive> {
  const { settings, runId } = resolveArchiveOptions(options);
  const logger = options.logger ?? silentLogger;
  const clock = options.clock ?? systemClock;
  const writer = await ArchiveWriter.open(settings.directory, runId, settings.durability, logger);
  const stats = new StatsKeeper();
  const watch = new FailureWatch(settings.alert);
  const answered = new Map<string, ArchiveEntry>();
  for (const entry of writer.existing) {
    stats.add(entry);
    if (entry.status === 'ok') answered.set(entry.requestHash, entry);
  }
  const replaying =
    settings.replay === 'auto' ? isResumed(options.run, writer.existing) : settings.replay;
  const emit = typeof options.run === 'object' ? options.run.emit?.bind(options.run) : undefined;

  const record = async (
    fields: Omit<ArchiveEntry, 'seq' | 'prev' | 'response' | 'responseSha256'>,
    response: StoredResponse,
  ): Promise<ArchiveEntry> => {
    const entry = await writer.record(fields, Buffer.from(JSON.stringify(response)));
    stats.add(entry);
    if (entry.status === 'ok') answered.set(entry.requestHash, entry);
    emit?.({
      type: 'custom',
      name: 'llm-call',
      data: {
        seq: entry.seq,
        model: entry.servedModel ?? entry.requestedModel,
        status: entry.status,
        attempt: entry.attempt,
        latencyMs: entry.latencyMs,
        promptTokens: entry.promptTokens,
        completionTokens: entry.completionTokens,
        cost: entry.cost,
        ...(entry.errorClass === undefined ? {} : { errorClass: entry.errorClass }),
        ...(entry.replayed === true ? { replayed: true } : {}),
        ...(entry.step === undefined ? {} : { step: entry.step }),
      },
    });
    for (const alert of watch.add(entry)) {
      logger.warn({ ...alert }, 'LLM failure rate above the alert threshold');
      emit?.({ type: 'custom', name: 'llm-alert', data: { ...alert } });
      options.onAlert?.(alert);
    }
    return entry;
  };

  const context: CallContext = {
    runId,
    folder: writer.folder,
    clock,
    prices: settings.prices,
    attemptTimeoutMs: settings.attemptTimeoutMs,
    retry: options.retry,
    replaying,
    answered: (hash) => answered.get(hash),
    record,
    readResponse: async (entry) =>
      JSON.parse(await readFile(join(writer.folder, entry.response), 'utf8')) as StoredResponse,
  };

  const archive: LlmArchive = {
    run: runId,
    folder: writer.folder,
    replaying,
    repair: writer.repair,

    call: (call) => plainCall(context, call),

    async callJson(jsonOptions) {
      const { schema, ...callOptions } = jsonOptions;
      const result = await archive.call({
        ...callOptions,
        accept: (answer: LlmAnswer) => {
          parseJsonAnswer(answer.text, schema);
        },
      });
      return { ...result, value: parseJsonAnswer(result.text, schema) };
    },

    callStream: (streamOptions) => streamCall(context, streamOptions),
    stats: () => stats.snapshot(),
    verify: () => verifyArchive(settings.directory, runId),
    close: () => writer.close(),
  };
  return archive;
}
