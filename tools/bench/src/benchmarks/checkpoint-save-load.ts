import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { createCheckpointStore, defaultTimeIds, runId } from '@cairn/kernel';
import { createFsStorage } from '@cairn/storage-fs';
import type { Benchmark, ResultRow } from '../benchmark.js';
import { type SampleState, sampleState } from '../sample-state.js';
import { bytesFromEnvironment, countFromEnvironment, formatBytes } from '../settings.js';
import { runSideBySide } from '../side-by-side.js';
import { openSqliteSaverPeer, type SqliteDurability } from '../sqlite-saver-peer.js';
import { summarizeRates } from '../statistics.js';
import { withTemporaryDirectory } from '../temporary-directory.js';

const stateBytes = bytesFromEnvironment('CAIRN_BENCH_P1_STATE_BYTES', 10 * 1024);
const operationsPerRound = countFromEnvironment('CAIRN_BENCH_P1_OPERATIONS', 20);
const warmupRounds = countFromEnvironment('CAIRN_BENCH_P1_WARMUP_ROUNDS', 3);
const rounds = countFromEnvironment('CAIRN_BENCH_P1_ROUNDS', 30);

/** One pairing: Cairn with fsync on or off against SqliteSaver as shipped or with FULL. */
interface Pairing {
  readonly fsync: boolean;
  readonly sqlite: SqliteDurability;
}

const pairings: readonly Pairing[] = [
  { fsync: true, sqlite: 'full' },
  { fsync: true, sqlite: 'default' },
  { fsync: false, sqlite: 'default' },
];

interface PairingResult {
  readonly row: ResultRow;
  readonly sqliteSettings: string;
  readonly cairnPayloadBytes: number;
  readonly sqliteStoredBytes: number;
}

async function compare(directory: string, pairing: Pairing): Promise<PairingResult> {
  const label = `fsync ${pairing.fsync ? 'on' : 'off'} vs sqlite ${pairing.sqlite}`;
  const folder = join(directory, `fsync-${pairing.fsync ? 'on' : 'off'}-sqlite-${pairing.sqlite}`);
  const storage = createFsStorage({ root: join(folder, 'cairn'), fsync: pairing.fsync });
  const store = createCheckpointStore({ storage });
  const run = runId('bench', defaultTimeIds.next());
  await mkdir(folder, { recursive: true });
  const sqlite = await openSqliteSaverPeer(join(folder, 'checkpoints.sqlite'), pairing.sqlite);
  // Each operation saves its own state (its round number differs), all made before timing.
  const states = Array.from({ length: warmupRounds + rounds }, (_, round) =>
    Array.from({ length: operationsPerRound }, (_, index) =>
      sampleState(round * operationsPerRound + index, stateBytes),
    ),
  );
  const statesOf = (round: number) => states[round] ?? [];
  let cairnPayloadBytes = 0;
  const cairnSaveAndLoad = async (state: SampleState) => {
    const record = await store.save({ run, step: 'generate', state });
    const loaded = await store.load<SampleState>({ id: record.id });
    if (loaded.state.round !== state.round) {
      throw new Error(`Cairn returned round ${loaded.state.round} for round ${state.round}`);
    }
    cairnPayloadBytes = record.size;
  };
  const samples = await runSideBySide(
    {
      run: async (round) => {
        for (const state of statesOf(round)) await cairnSaveAndLoad(state);
      },
    },
    {
      run: async (round) => {
        for (const state of statesOf(round)) await sqlite.saveAndLoad(state.round, state);
      },
    },
    { warmupRounds, rounds },
  );
  const result: PairingResult = {
    row: {
      measure: `save + load ${formatBytes(stateBytes)}, ${label} (ops/s; p95 = rate of the p95 round)`,
      cairn: summarizeRates(samples.cairn.durationsMs, operationsPerRound),
      limit: summarizeRates(samples.limit.durationsMs, operationsPerRound),
    },
    sqliteSettings: `journal_mode=${sqlite.settings.journalMode}, synchronous=${sqlite.settings.synchronous}`,
    cairnPayloadBytes,
    sqliteStoredBytes: sqlite.lastStoredBytes(),
  };
  sqlite.close();
  await storage.close?.();
  return result;
}

/** P1: save + load of a small state, Cairn on storage-fs against LangGraph's SqliteSaver. */
export const checkpointSaveLoadBenchmark: Benchmark = {
  name: 'p1 checkpoint save+load',
  run: () =>
    withTemporaryDirectory('checkpoint-save-load', async (directory) => {
      const results: PairingResult[] = [];
      for (const pairing of pairings) results.push(await compare(directory, pairing));
      const settings = [...new Set(results.map((result) => result.sqliteSettings))];
      const first = results[0];
      return {
        title: `P1. Checkpoint save + load (${formatBytes(stateBytes)} state) vs LangGraph SqliteSaver`,
        description: [
          `Cairn: \`createCheckpointStore({ storage: createFsStorage({ root, fsync }) })\`, \`save({ run, step, state })\` (JSON codec; payload written, read back and SHA-256-checked, then the YAML sidecar created) and \`load({ id })\` (sidecar, payload, SHA-256 check, decode).`,
          `Limit: \`@langchain/langgraph-checkpoint-sqlite\` \`SqliteSaver.put\` of a checkpoint holding the same state, then \`getTuple\` of the config \`put\` returned, one thread, on a database file beside Cairn's folder.`,
          `SqliteSaver's settings as measured on its connection: ${settings.join('; ')} ("sqlite default" is what \`SqliteSaver\` sets itself, WAL; "sqlite full" adds \`PRAGMA synchronous = FULL\` after its setup).`,
          `Stored per checkpoint: Cairn payload ${first?.cairnPayloadBytes ?? 0} bytes (plus its sidecar), SqliteSaver checkpoint column ${first?.sqliteStoredBytes ?? 0} bytes.`,
          `Each round is ${operationsPerRound} save + load pairs in a row; ops/s = pairs per second.`,
        ].join(' '),
        rounds,
        warmupRounds,
        rows: results.map((result) => result.row),
      };
    }),
};
