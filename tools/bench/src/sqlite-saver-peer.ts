import { emptyCheckpoint, uuid6 } from '@langchain/langgraph-checkpoint';
import { SqliteSaver } from '@langchain/langgraph-checkpoint-sqlite';
import Database from 'better-sqlite3';
import type { SampleState } from './sample-state.js';

/**
 * How SqliteSaver is run: as it ships (`default`), or with `PRAGMA synchronous = FULL` set
 * after its own setup, so that every commit is flushed (`full`).
 */
export type SqliteDurability = 'default' | 'full';

/** A SqliteSaver on a database file, saving and loading one thread's checkpoints. */
export interface SqliteSaverPeer {
  /** `PRAGMA journal_mode` and `PRAGMA synchronous` as the connection reports them. */
  readonly settings: { readonly journalMode: string; readonly synchronous: string };
  /** `put` of a checkpoint holding `state`, then `getTuple` of what `put` returned. */
  saveAndLoad(round: number, state: SampleState): Promise<void>;
  /** Bytes of the serialized checkpoint stored by the last `put` (the `checkpoint` column). */
  lastStoredBytes(): number;
  /** Closes the database. */
  close(): void;
}

const synchronousNames = ['OFF', 'NORMAL', 'FULL', 'EXTRA'];
const threadId = 'bench-thread';

/**
 * Opens a SqliteSaver on `path` as a LangGraph graph would (`new SqliteSaver(db)`), lets it
 * run its own setup (which switches the database to WAL), then applies `durability`.
 */
export async function openSqliteSaverPeer(
  path: string,
  durability: SqliteDurability,
): Promise<SqliteSaverPeer> {
  const database = new Database(path);
  const saver = new SqliteSaver(database);
  // Setup runs on first use: a lookup of a thread that does not exist triggers it.
  await saver.getTuple({ configurable: { thread_id: threadId } });
  if (durability === 'full') database.pragma('synchronous = FULL');
  const synchronous = Number(database.pragma('synchronous', { simple: true }));
  const settings = {
    journalMode: String(database.pragma('journal_mode', { simple: true })).toUpperCase(),
    synchronous: synchronousNames[synchronous] ?? String(synchronous),
  };
  const storedBytes = database.prepare(
    'SELECT length(checkpoint) AS bytes FROM checkpoints WHERE thread_id = ? AND checkpoint_id = ?',
  );
  let lastId: string | undefined;
  return {
    settings,
    async saveAndLoad(round, state) {
      const checkpoint = {
        ...emptyCheckpoint(),
        id: uuid6(round % 16384),
        channel_values: { state },
        channel_versions: { state: round + 1 },
      };
      const config = await saver.put(
        { configurable: { thread_id: threadId, checkpoint_ns: '', checkpoint_id: lastId } },
        checkpoint,
        { source: 'loop', step: round, parents: {} },
      );
      lastId = checkpoint.id;
      const tuple = await saver.getTuple(config);
      const loaded = tuple?.checkpoint.channel_values.state as SampleState | undefined;
      if (loaded?.round !== round) {
        throw new Error(`SqliteSaver returned round ${loaded?.round} for round ${round}`);
      }
    },
    lastStoredBytes() {
      const row = storedBytes.get(threadId, lastId) as { bytes: number } | undefined;
      return row?.bytes ?? 0;
    },
    close() {
      database.close();
    },
  };
}
