import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';

const mainScript = join(dirname(fileURLToPath(import.meta.url)), 'main.ts');
const temporaryRoots: string[] = [];

afterEach(async () => {
  await Promise.all(
    temporaryRoots.splice(0).map((root) => rm(root, { recursive: true, force: true })),
  );
});

/** Starts the example as a user would, but on a temporary root, through tsx on the sources. */
function start(root: string): {
  child: ChildProcess;
  output: () => string;
  exit: Promise<number | null>;
} {
  const child = spawn(process.execPath, ['--conditions=source', '--import', 'tsx', mainScript], {
    env: {
      ...process.env,
      CAIRN_EXAMPLE_ROOT: root,
      CAIRN_EXAMPLE_ITEMS: '40',
      CAIRN_EXAMPLE_LATENCY_MS: '40',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let text = '';
  child.stdout?.on('data', (chunk) => {
    text += String(chunk);
  });
  child.stderr?.on('data', (chunk) => {
    text += String(chunk);
  });
  const exit = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, output: () => text, exit };
}

async function waitFor(condition: () => boolean, what: string): Promise<void> {
  for (let waited = 0; waited < 60_000; waited += 25) {
    if (condition()) return;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  throw new Error(`timed out waiting for ${what}`);
}

describe('the example pipeline as a process', () => {
  it('stops on SIGINT keeping finished items, and the rerun resumes with only the missing ones', async () => {
    const root = await mkdtemp(join(tmpdir(), 'cairn-example-'));
    temporaryRoots.push(root);

    const first = start(root);
    await waitFor(() => first.output().includes('10/40'), 'ten scored items');
    first.child.kill('SIGINT');
    expect(await first.exit).toBe(130);
    expect(first.output()).toContain('SIGINT: stopping; finished items are kept.');
    const interrupted = /Interrupted with (\d+)\/40 scored/.exec(first.output());
    expect(interrupted).not.toBeNull();
    const scoredBefore = Number(interrupted?.[1]);
    expect(scoredBefore).toBeGreaterThanOrEqual(10);
    expect(scoredBefore).toBeLessThan(40);
    // Both copies hold exactly the scores that were reported finished.
    for (const copy of ['primary', 'backup']) {
      const stored = await readdir(join(root, copy, 'example', 'scores'));
      expect(stored).toHaveLength(scoredBefore);
    }

    const second = start(root);
    expect(await second.exit).toBe(0);
    expect(second.output()).toContain(`↺ score: resumed, ${scoredBefore} of 40 scores are stored`);
    expect(second.output()).toContain(`▶ score: ${40 - scoredBefore} to do`);
    expect(second.output()).toMatch(/Report: 39 scored, mean [\d.]+, 1 failed/);

    // The one broken item failed and was recorded; a third run tries only that item again.
    const third = start(root);
    expect(await third.exit).toBe(0);
    expect(third.output()).toContain('↺ score: resumed, 39 of 40 scores are stored');
    expect(third.output()).toContain('▶ score: 1 to do');
    expect(third.output()).toMatch(/Report: 39 scored, mean [\d.]+, 1 failed/);
  });
});
