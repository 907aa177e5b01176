import { randomBytes } from 'node:crypto';
import { mkdir, open } from 'node:fs/promises';
import { join } from 'node:path';
import { ArchiveWriter, type Durability } from '@cairn/llm-archive';
import type { Benchmark, ResultRow } from '../benchmark.js';
import { summarize } from '../statistics.js';
import { withTemporaryDirectory } from '../temporary-directory.js';

// P4: how long the LLM archive keeps a caller waiting to make a record durable, and how many
// records a second it takes, per durability level, response size and number of concurrent
// callers; beside the least the same disk work costs with plain node:fs (write the response
// file, append the index line, and the level's flushes), in the same run.

const recordsPerCaller = { 1: 400, 32: 100 } as const;
const sizes = [1024, 32 * 1024] as const;
const levels: readonly Durability[] = ['fsync', 'batched', 'none'];
const run = 'bench/20250810T143022.123Z-aaaaaa';

function fields(call: number) {
  return {
    at: new Date().toISOString(),
    run,
    step: 'generate',
    item: call,
    requestedModel: 'gpt-4o-mini',
    servedModel: 'gpt-4o-mini-2024-07-18',
    provider: 'api.openai.com',
    attempt: 1,
    call: `call-${call}`,
    promptTokens: 812,
    completionTokens: 240,
    cost: { usd: 0.0002658 },
    latencyMs: 1840.5,
    status: 'ok' as const,
    requestHash: 'a'.repeat(64),
  };
}

/** Percentile by nearest rank. */
function percentile(samples: readonly number[], fraction: number): number {
  const sorted = [...samples].sort((left, right) => left - right);
  return sorted[Math.max(0, Math.ceil(fraction * sorted.length) - 1)] as number;
}

interface Measured {
  readonly latenciesMs: number[];
  readonly recordsPerSecond: number;
}

/** Runs `callers` loops of `each` records through `record`, timing every one. */
async function drive(
  callers: number,
  each: number,
  record: (call: number) => Promise<void>,
): Promise<Measured> {
  const latenciesMs: number[] = [];
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: callers }, async () => {
      for (let index = 0; index < each; index += 1) {
        const call = next;
        next += 1;
        const before = performance.now();
        await record(call);
        latenciesMs.push(performance.now() - before);
      }
    }),
  );
  return {
    latenciesMs,
    recordsPerSecond: (callers * each) / ((performance.now() - started) / 1000),
  };
}

/**
 * The limit: the same files written with plain node:fs — a new response file and an index
 * line — with the level's flushes: `fsync` flushes both per record, `batched` flushes the index
 * once per `callers` records (the best a group commit can do), `none` flushes nothing.
 */
async function rawLimit(
  directory: string,
  level: Durability,
  callers: number,
  each: number,
  response: Buffer,
): Promise<Measured> {
  await mkdir(join(directory, 'responses'), { recursive: true });
  const index = await open(join(directory, 'index.jsonl'), 'a');
  const line = `${JSON.stringify({ seq: 1, prev: 'b'.repeat(64), ...fields(0), response: `responses/${'c'.repeat(64)}.json`, responseSha256: 'c'.repeat(64) })}\n`;
  let pending = 0;
  let flush: Promise<void> | undefined;
  try {
    return await drive(callers, each, async (call) => {
      const file = await open(join(directory, 'responses', `${call}.json`), 'w');
      await file.write(response);
      if (level === 'fsync') await file.datasync();
      await file.close();
      await index.write(line);
      if (level === 'fsync') await index.datasync();
      if (level === 'batched') {
        pending += 1;
        if (pending >= callers) {
          pending = 0;
          flush = index.datasync();
        }
        await flush;
      }
    });
  } finally {
    await index.close();
  }
}

async function measure(
  directory: string,
  level: Durability,
  size: number,
  callers: 1 | 32,
): Promise<ResultRow[]> {
  const response = randomBytes(size / 2).toString('hex');
  const bytes = Buffer.from(JSON.stringify({ text: response }).slice(0, size));
  const each = recordsPerCaller[callers];
  const label = `${size / 1024} KiB, ${level}, ${callers} caller${callers === 1 ? '' : 's'}`;
  const writer = await ArchiveWriter.open(
    join(directory, `cairn-${label.replace(/\W+/g, '-')}`),
    run,
    level,
  );
  // Warm-up: the JIT, the folders, the first file of each kind.
  await drive(callers, 5, async (call) => {
    await writer.record(fields(1_000_000 + call), Buffer.concat([bytes, Buffer.from(`w${call}`)]));
  });
  const cairn = await drive(callers, each, async (call) => {
    // Each record distinct: the responses are content-keyed.
    await writer.record(fields(call), Buffer.concat([bytes, Buffer.from(String(call))]));
  });
  await writer.close();
  const limit = await rawLimit(
    join(directory, `raw-${label.replace(/\W+/g, '-')}`),
    level,
    callers,
    each,
    bytes,
  );
  const single = (value: number, count: number) => ({ median: value, p95: value, count });
  return [
    {
      measure: `record ${label}: latency (ms)`,
      cairn: summarize(cairn.latenciesMs),
      limit: summarize(limit.latenciesMs),
    },
    {
      measure: `record ${label}: p99 latency (ms)`,
      cairn: single(percentile(cairn.latenciesMs, 0.99), cairn.latenciesMs.length),
      limit: single(percentile(limit.latenciesMs, 0.99), limit.latenciesMs.length),
    },
    {
      measure: `record ${label}: records/s`,
      cairn: single(cairn.recordsPerSecond, 1),
      limit: single(limit.recordsPerSecond, 1),
    },
  ];
}

/** P4: LLM archive record latency and throughput per durability level. */
export const llmArchiveRecordBenchmark: Benchmark = {
  name: 'p4 llm archive record',
  run: () =>
    withTemporaryDirectory('llm-archive', async (directory) => {
      const rows: ResultRow[] = [];
      for (const level of levels) {
        for (const size of sizes) {
          for (const callers of [1, 32] as const)
            rows.push(...(await measure(directory, level, size, callers)));
        }
      }
      return {
        title: 'P4. LLM archive: recording an attempt (response object + chained index line)',
        description:
          "Cairn: `ArchiveWriter.record(entry, response)` of @cairn/llm-archive, awaited by each caller (content-keyed response written whole by rename, hash-chained index line, the level's flushes; batched = group commit). Limit: the same two files with plain node:fs — a new response file and an appended index line — with the level's flushes (fsync: both per record; batched: the index once per 32 records; none: no flush). 1 caller: 400 records; 32 callers: 100 each. p99 and records/s rows hold one value in both columns.",
        rounds: 400,
        warmupRounds: 5,
        rows,
      };
    }),
};
