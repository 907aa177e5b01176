import { spawn } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { latestRun, readAll, readJournal, runKeys } from '@cairn/kernel';
import { describe, expect, it } from 'vitest';
import { createFsStorage } from './fs-storage.js';
import { temporaryRoot } from './testing/temporary-root.js';

const packageDirectory = join(dirname(fileURLToPath(import.meta.url)), '..');
const childScript = join(packageDirectory, 'src', 'testing', 'pipeline-uncaught-child.ts');

/** Runs the child to its end and returns its exit code and output. */
function runChild(
  root: string,
  kind: 'exception' | 'rejection',
): Promise<{ code: number | null; signal: NodeJS.Signals | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      ['--conditions=source', '--import', 'tsx', childScript, root, kind],
      { cwd: packageDirectory, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    child.stderr.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    child.once('error', reject);
    child.once('exit', (code, signal) => resolve({ code, signal, output }));
  });
}

describe('an uncaught error in a pipeline process', () => {
  for (const [kind, message] of [
    ['exception', 'the data loader callback threw'],
    ['rejection', 'an un-awaited upload rejected'],
  ] as const) {
    it(`(${kind}) marks the run FAILED with an error record and exits 1`, async () => {
      const root = await temporaryRoot(`cairn-uncaught-${kind}-`);
      const { code, signal, output } = await runChild(root, kind);
      expect(signal, output).toBeNull();
      expect(code, output).toBe(1);
      expect(output).toContain(message);

      const storage = createFsStorage({ root });
      const status = await latestRun(storage, 'uncaught');
      expect(status?.state, output).toBe('FAILED');
      const record = status?.record;
      if (record === undefined) throw new Error('no run record');
      // The first step's work is kept; the second is the one that was running.
      expect(record.steps.find((step) => step.name === 'prepare')?.state).toBe('COMPLETED');

      const errorKeys: string[] = [];
      for await (const info of storage.list({ prefix: runKeys(record.id).errorsPrefix })) {
        errorKeys.push(info.key);
      }
      expect(errorKeys).toHaveLength(1);
      const { body } = await storage.get(errorKeys[0] as string);
      // The record is YAML: message and stack as written, so the line that threw is findable.
      const errorRecord = (await readAll(body)).toString('utf8');
      expect(errorRecord).toContain(message);
      expect(errorRecord).toMatch(/stack:[\s\S]*pipeline-uncaught-child/);

      const finished = [];
      for await (const entry of readJournal(storage, record.id)) {
        if (entry.event.type === 'run-finished') finished.push(entry.event);
      }
      expect(finished).toHaveLength(1);
      expect(finished[0]).toMatchObject({ state: 'FAILED' });
      await storage.close?.();
    }, 60_000);
  }
});
