import { open, readFile, truncate, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import {
  type CheckpointRecord,
  checkpointKeys,
  createCheckpointStore,
  createMirroredStorage,
  createTimeIdGenerator,
  type MirrorEvent,
  runId,
} from '@cairn/kernel';
import { createFsStorage } from '../index.js';
import { bodyStream, expectedState } from './checkpoint-payloads.js';
import { temporaryRoot } from './temporary-root.js';

/** How a file on disk is damaged. */
export type Damage = 'truncate' | 'bit-flip' | 'delete';

/** Every kind of damage. */
export const damages: readonly Damage[] = ['truncate', 'bit-flip', 'delete'];

/** Which file of a checkpoint is damaged. */
export type DamagedFile = 'payload' | 'sidecar';

/**
 * Damages the file at `path` in place, as a disk or a careless hand would: `truncate` keeps
 * the first half, `bit-flip` inverts one bit in the middle (same size), `delete` removes it.
 */
export async function damageFile(path: string, damage: Damage): Promise<void> {
  if (damage === 'delete') {
    await unlink(path);
    return;
  }
  const bytes = await readFile(path);
  if (damage === 'truncate') {
    await truncate(path, Math.floor(bytes.length / 2));
    return;
  }
  const middle = Math.floor(bytes.length / 2);
  const handle = await open(path, 'r+');
  try {
    await handle.write(Buffer.from([(bytes[middle] ?? 0) ^ 0x10]), 0, 1, middle);
  } finally {
    await handle.close();
  }
}

/** Where checkpoint `id`'s files are below an fs storage `root` (objects live at `<root>/<key>`). */
export function checkpointFiles(root: string, id: string): Record<DamagedFile, string> {
  const keys = checkpointKeys(id);
  return { payload: join(root, keys.payload), sidecar: join(root, keys.sidecar) };
}

/** The step the corruption tests save to. */
export const corruptionStep = 'evaluate';

/** Two checkpoints saved through `store`: an older state and the newest, a streamed body. */
async function saveTwo(store: ReturnType<typeof createCheckpointStore>, run: string) {
  const older = await store.save({ run, step: corruptionStep, state: expectedState(1) });
  const newest = await store.save({ run, step: corruptionStep, body: bodyStream(3) });
  return { older, newest };
}

/** A checkpoint store on one fs root, holding two checkpoints. */
export async function singleCopyFixture() {
  const root = await temporaryRoot('cairn-checkpoint-corruption-');
  const store = createCheckpointStore({ storage: createFsStorage({ root }) });
  const run = runId('corruption', createTimeIdGenerator().next());
  const saved = await saveTwo(store, run);
  return { root, store, run, ...saved };
}

/**
 * A checkpoint store on a mirror of two fs roots, holding two checkpoints; `events` collects
 * the mirror's events from after the saves.
 */
export async function mirrorFixture() {
  const primaryRoot = await temporaryRoot('cairn-checkpoint-primary-');
  const backupRoot = await temporaryRoot('cairn-checkpoint-backup-');
  const events: MirrorEvent[] = [];
  let recording = false;
  const storage = createMirroredStorage({
    copies: {
      primary: createFsStorage({ root: primaryRoot }),
      backups: [createFsStorage({ root: backupRoot })],
    },
    onEvent: (event) => {
      if (recording) events.push(event);
    },
  });
  const store = createCheckpointStore({ storage });
  const run = runId('corruption', createTimeIdGenerator().next());
  const saved = await saveTwo(store, run);
  recording = true;
  return { primaryRoot, backupRoot, storage, store, run, events, ...saved };
}

/** The bytes of both files of a checkpoint on disk, to compare after a repair. */
export async function filesOf(root: string, record: CheckpointRecord) {
  const files = checkpointFiles(root, record.id);
  return { payload: await readFile(files.payload), sidecar: await readFile(files.sidecar) };
}
