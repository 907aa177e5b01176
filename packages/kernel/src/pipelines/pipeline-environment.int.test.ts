import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { readEnvironment } from '../environment/store-environment.js';
import type { JournalEntry } from '../journal/journal-events.js';
import { runKeys } from '../naming/layout.js';
import { readRun } from '../runs/run-status.js';
import { createMemoryStorage } from '../storage/memory-storage.js';
import { gitIn, initRepository } from '../testing/environment-git.js';
import { rejection } from '../testing/rejection.js';
import { temporaryProjects } from '../testing/temporary-project.js';
import { definePipeline } from './define-pipeline.js';

const createProject = temporaryProjects('cairn-pipeline-environment');

describe('the environment of a resumed run', () => {
  it('is captured for every attempt, and a change of commit between attempts is reported', async () => {
    const directory = await createProject({
      'package.json': JSON.stringify({ name: 'resumed-project', version: '1.0.0' }),
      'train.txt': 'first version\n',
    });
    const firstCommit = await initRepository(directory);
    const storage = createMemoryStorage();
    let broken = true;
    const pipeline = definePipeline('resumed').step('train', () => {
      if (broken) throw new Error('bug in train');
      return 'trained';
    });
    const failure = await rejection(
      pipeline.run({ storage, environment: 1, projectDirectory: directory }),
    );
    const run = String(failure.details?.run);

    // The fix is committed, then the run goes on.
    await writeFile(path.join(directory, 'train.txt'), 'fixed version\n');
    await gitIn(directory, 'commit', '--quiet', '--no-gpg-sign', '-am', 'fix train');
    const secondCommit = (await gitIn(directory, 'rev-parse', 'HEAD')).trim();
    broken = false;
    const lines: string[] = [];
    const entries: JournalEntry[] = [];
    const result = await pipeline.run({
      storage,
      environment: 1,
      projectDirectory: directory,
      print: (line) => lines.push(line),
      onEntry: (entry) => entries.push(entry),
    });
    expect(result).toMatchObject({ run, attempt: 2, state: 'COMPLETED' });

    expect((await readEnvironment(storage, run))?.git?.commit).toBe(firstCommit);
    expect((await readEnvironment(storage, run, { attempt: 2 }))?.git?.commit).toBe(secondCommit);
    expect((await readRun(storage, run))?.record.environment?.record).toBe(
      runKeys(run).environmentOf(2),
    );
    expect(lines.join('\n')).toContain(
      `ran on commit ${firstCommit.slice(0, 12)} and goes on on ${secondCommit.slice(0, 12)}`,
    );
    expect(entries.map((entry) => entry.event)).toContainEqual({
      type: 'custom',
      name: 'environment-changed',
      data: { before: firstCommit, now: secondCommit },
    });
  });
});
