import { access, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { type CairnError, type CheckpointStore, checkpointKeys, isCairnError } from '@cairn/kernel';
import { describe, expect, it } from 'vitest';
import {
  checkpointFiles,
  corruptionStep,
  type Damage,
  type DamagedFile,
  damageFile,
  damages,
  filesOf,
  mirrorFixture,
  singleCopyFixture,
} from './testing/checkpoint-corruption-support.js';
import { expectedBody, expectedState } from './testing/checkpoint-payloads.js';
import { temporaryRoot } from './testing/temporary-root.js';

// Checkpoints damaged on real files: the payload or the sidecar of the newest checkpoint is
// truncated, has a bit flipped, or is deleted, on one fs root, on the primary of a mirror of
// two fs roots, and on both copies of that mirror. Whatever happens, no read returns bytes
// other than the ones saved.

const files: readonly DamagedFile[] = ['payload', 'sidecar'];

async function failureOf(action: Promise<unknown>): Promise<CairnError> {
  const outcome = await action.then(
    (value) => ({ value }),
    (error: unknown) => ({ error }),
  );
  if (!('error' in outcome)) {
    throw new Error(`expected a failure, got ${JSON.stringify(outcome.value).slice(0, 200)}`);
  }
  if (!isCairnError(outcome.error)) throw outcome.error;
  return outcome.error;
}

/** What `open` streams for `id`, or the error it fails with (at open or while streaming). */
async function streamed(store: CheckpointStore, id: string): Promise<Buffer | CairnError> {
  try {
    const { body } = await store.open({ id });
    const chunks: Buffer[] = [];
    for await (const chunk of body) chunks.push(chunk as Buffer);
    return Buffer.concat(chunks);
  } catch (error) {
    if (!isCairnError(error)) throw error;
    return error;
  }
}

async function exists(path: string): Promise<boolean> {
  return access(path).then(
    () => true,
    () => false,
  );
}

/** The error code a single copy gives for a damaged file of a committed checkpoint. */
function singleCopyCode(file: DamagedFile, damage: Damage): string {
  // A committed payload that is gone is damage, not absence; a sidecar that is gone means the
  // checkpoint is not committed (the two cannot be told apart).
  return file === 'sidecar' && damage === 'delete' ? 'NOT_FOUND' : 'CORRUPT_DATA';
}

describe('a damaged checkpoint on a single fs copy', () => {
  for (const file of files) {
    for (const damage of damages) {
      it(`${damage} of the ${file}: every read refuses with ${singleCopyCode(file, damage)} naming the checkpoint`, async () => {
        const { root, store, run, older, newest } = await singleCopyFixture();
        await damageFile(checkpointFiles(root, newest.id)[file], damage);

        const loadError = await failureOf(store.load({ id: newest.id }));
        expect(loadError.code, loadError.message).toBe(singleCopyCode(file, damage));
        expect(loadError.message).toContain(newest.id);

        const opened = await streamed(store, newest.id);
        expect(opened).not.toBeInstanceOf(Buffer);
        expect((opened as CairnError).code).toBe(singleCopyCode(file, damage));
        expect((opened as CairnError).message).toContain(newest.id);

        const target = join(await temporaryRoot('cairn-checkpoint-restore-'), 'restored.bin');
        const restoreError = await failureOf(store.restoreToFile({ id: newest.id }, target));
        expect(restoreError.code).toBe(singleCopyCode(file, damage));
        expect(await exists(target)).toBe(false);

        if (file === 'payload') {
          // The latest sidecar is fine, so latest is this checkpoint, and it must not load.
          const latestError = await failureOf(store.load({ step: corruptionStep, run }));
          expect(latestError.code).toBe('CORRUPT_DATA');
          expect(latestError.message).toContain(newest.id);
        } else {
          // A sidecar that cannot be trusted does not commit anything: latest is the older one.
          const latest = await store.load({ step: corruptionStep, run });
          expect(latest.record.id).toBe(older.id);
          expect(latest.state).toEqual(expectedState(1));
        }
        // The damage stays confined to its checkpoint.
        expect((await store.load({ id: older.id })).state).toEqual(expectedState(1));
      });
    }
  }
});

/**
 * What the mirror reports about a damaged primary file. A truncated or bit-flipped file keeps
 * its digest record (the fs storage matches records to files by inode and birth time, and
 * Cairn never changes a file in place), so its recorded digest exposes the damage.
 */
function mirrorFinding(damage: Damage): { problem: string } {
  if (damage === 'delete') return { problem: 'copy-missing' };
  return { problem: 'copy-corrupt' };
}

describe('a damaged checkpoint on the primary of a mirror of two fs roots', () => {
  for (const file of files) {
    for (const damage of damages) {
      const { problem } = mirrorFinding(damage);
      it(`${damage} of the primary ${file}: loads from the backup, reports ${problem} and repairs the primary file`, async () => {
        const fixture = await mirrorFixture();
        const { primaryRoot, backupRoot, store, newest, events } = fixture;
        const original = await filesOf(primaryRoot, newest);
        const key = checkpointKeys(newest.id)[file];
        const primaryFile = checkpointFiles(primaryRoot, newest.id)[file];
        await damageFile(primaryFile, damage);

        const loaded = await store.load({ id: newest.id });
        expect(Buffer.isBuffer(loaded.state) && loaded.state.equals(expectedBody(3))).toBe(true);
        expect(loaded.record).toEqual(newest);
        expect(loaded.problems).toContainEqual(
          expect.objectContaining({ problem, key, copy: 'copy 0 (fs, primary)' }),
        );
        const repairs = loaded.problems.filter((found) => found.problem === 'copy-repaired');
        const repairEvents = events.filter((event) => event.type === 'copy-repaired');
        // The backup is never touched: it was good.
        expect((await filesOf(backupRoot, newest))[file].equals(original[file])).toBe(true);
        const again = await store.load({ id: newest.id });
        expect(Buffer.isBuffer(again.state) && again.state.equals(expectedBody(3))).toBe(true);
        expect(repairs).toEqual([expect.objectContaining({ key, copy: 'copy 0 (fs, primary)' })]);
        expect(repairEvents.map((event) => [event.key, event.copy])).toEqual([[key, 0]]);
        // Repaired on disk: the primary's file holds the original bytes again.
        expect((await readFile(primaryFile)).equals(original[file])).toBe(true);
        expect(again.problems).toEqual([]);
      });
    }
  }

  it('a damaged primary payload of the latest checkpoint is repaired by load latest too', async () => {
    const { primaryRoot, store, run, newest } = await mirrorFixture();
    const original = await filesOf(primaryRoot, newest);
    await damageFile(checkpointFiles(primaryRoot, newest.id).payload, 'bit-flip');
    const loaded = await store.load({ step: corruptionStep, run });
    expect(loaded.record.id).toBe(newest.id);
    expect(loaded.problems.map((problem) => problem.problem)).toEqual([
      'copy-corrupt',
      'copy-repaired',
    ]);
    expect((await filesOf(primaryRoot, newest)).payload.equals(original.payload)).toBe(true);
  });

  it('a deleted primary sidecar hides the checkpoint from latest (the mirror lists the primary) until a scrub restores it', async () => {
    const { primaryRoot, storage, store, run, older, newest } = await mirrorFixture();
    const original = await filesOf(primaryRoot, newest);
    await damageFile(checkpointFiles(primaryRoot, newest.id).sidecar, 'delete');
    // Never bad data: the checkpoint the listing still sees, intact.
    const latest = await store.load({ step: corruptionStep, run });
    expect(latest.record.id).toBe(older.id);
    expect(latest.state).toEqual(expectedState(1));

    const report = await storage.scrub({ prefix: 'checkpoints/' });
    expect(report.findings).toContainEqual(
      expect.objectContaining({
        key: checkpointKeys(newest.id).sidecar,
        problem: 'missing',
        copy: 0,
        repaired: true,
      }),
    );
    expect((await filesOf(primaryRoot, newest)).sidecar.equals(original.sidecar)).toBe(true);
    expect((await store.load({ step: corruptionStep, run })).record.id).toBe(newest.id);
  });
});

describe('a checkpoint damaged on both copies of a mirror', () => {
  for (const file of files) {
    for (const damage of damages) {
      it(`${damage} of the ${file} on both copies: an error naming the checkpoint and both copies, never bad bytes`, async () => {
        const { primaryRoot, backupRoot, store, newest, older } = await mirrorFixture();
        const before = {
          primary: await readFile(checkpointFiles(primaryRoot, newest.id)[file]),
          backup: await readFile(checkpointFiles(backupRoot, newest.id)[file]),
        };
        expect(before.primary.equals(before.backup)).toBe(true);
        const damaged = new Map<string, Buffer | undefined>();
        for (const root of [primaryRoot, backupRoot]) {
          const path = checkpointFiles(root, newest.id)[file];
          await damageFile(path, damage);
          damaged.set(path, await readFile(path).catch(() => undefined));
        }

        const loadError = await failureOf(store.load({ id: newest.id }));
        const opened = await streamed(store, newest.id);
        expect(opened).not.toBeInstanceOf(Buffer);
        expect(loadError.message).toContain(newest.id);
        if (file === 'sidecar' && damage === 'delete') {
          // Gone from every copy: not committed, as far as anyone can tell. The mirror's own
          // answer, kept as the cause, still names both copies.
          expect(loadError.code).toBe('NOT_FOUND');
          const cause = loadError.cause as Error;
          expect(cause.message).toContain('copy 0 (fs, primary)');
          expect(cause.message).toContain('copy 1 (fs)');
        } else {
          expect(loadError.code, loadError.message).toBe('CORRUPT_DATA');
          expect(loadError.message).toContain('copy 0 (fs, primary)');
          expect(loadError.message).toContain('copy 1 (fs)');
        }
        // Nothing was "repaired" from bad bytes: both copies are as the damage left them.
        for (const [path, bytes] of damaged) {
          expect(await readFile(path).catch(() => undefined)).toEqual(bytes);
        }
        expect((await store.load({ id: older.id })).state).toEqual(expectedState(1));
      });
    }
  }
});
