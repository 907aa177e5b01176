import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { open } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createArtifactStore } from '@cairn/kernel';
import { describe, expect, it } from 'vitest';
import { createFsStorage } from './index.js';
import { temporaryRoot } from './testing/temporary-root.js';

const packageDirectory = join(dirname(fileURLToPath(import.meta.url)), '..');
const childScript = join(packageDirectory, 'src', 'testing', 'artifact-logger-child.ts');

interface LoggerReport {
  readonly logger: number;
  readonly logged: { value: unknown; version: number; created: boolean; digest: string }[];
  readonly large?: { version: number; peakRssGrowth: number };
}

function runLogger(parameters: readonly string[]): Promise<LoggerReport> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      ['--conditions=source', '--import', 'tsx', childScript, ...parameters],
      { cwd: packageDirectory, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
    });
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    child.once('exit', (code) => {
      if (code === 0) resolve(JSON.parse(stdout.trim()) as LoggerReport);
      else reject(new Error(`logger ${parameters[1]} exited with ${code}: ${stderr}`));
    });
  });
}

// Several Node processes booting tsx on a small machine take a while: a generous limit, not a
// timing assertion.
const processTestTimeoutMs = 300_000;

describe('artifacts on a real disk, logged by several processes at once', () => {
  it(
    'gives distinct content distinct numbers 1…n, identical content one version, and reads each back',
    async () => {
      const root = await temporaryRoot();
      const loggers = 4;
      const rounds = 8;
      const reports = await Promise.all(
        Array.from({ length: loggers }, (_, logger) =>
          runLogger([root, String(logger), String(rounds)]),
        ),
      );
      const all = reports.flatMap((report) => report.logged);
      // 4 × 8 values of their own + 8 shared values.
      const versions = [...new Set(all.map((entry) => entry.version))].sort((a, b) => a - b);
      expect(versions).toEqual(Array.from({ length: loggers * rounds + rounds }, (_, i) => i + 1));
      for (let round = 0; round < rounds; round += 1) {
        const shared = all.filter(
          (entry) => JSON.stringify(entry.value) === JSON.stringify({ shared: round }),
        );
        expect(new Set(shared.map((entry) => entry.version)).size, `shared ${round}`).toBe(1);
        expect(shared.filter((entry) => entry.created)).toHaveLength(1);
      }
      const artifacts = createArtifactStore({ storage: createFsStorage({ root }) });
      for (const entry of all) {
        const version = await artifacts.get(`dataset-shared:v${entry.version}`);
        expect(await version.value()).toEqual(entry.value);
        expect(version.digest).toBe(entry.digest);
      }
      expect((await artifacts.get('dataset-shared')).version).toBe(versions.length);
    },
    processTestTimeoutMs,
  );

  it(
    'streams a 256 MiB file into storage with flat memory and reads it back byte for byte',
    async () => {
      const root = await temporaryRoot();
      const file = join(await temporaryRoot('cairn-large-'), 'weights.bin');
      const size = 256 * 1024 * 1024;
      const handle = await open(file, 'w');
      // Not sparse: a pattern that changes every block, so a wrong offset shows in the digest.
      const block = Buffer.alloc(1024 * 1024);
      for (let offset = 0; offset < size; offset += block.length) {
        block.fill(offset / block.length);
        block.writeUInt32LE(offset, 0);
        await handle.write(block, 0, block.length, offset);
      }
      await handle.close();
      const report = await runLogger([root, '0', '0', file]);
      expect(report.large?.version).toBe(1);
      // The file is 256 MiB; logging it must not hold it: well under a quarter in memory.
      expect(report.large?.peakRssGrowth).toBeLessThan(64 * 1024 * 1024);
      const artifacts = createArtifactStore({ storage: createFsStorage({ root }) });
      const stored = createHash('sha256');
      for await (const chunk of await (await artifacts.get('model-large:v1')).open()) {
        stored.update(chunk as Buffer);
      }
      const original = createHash('sha256');
      for await (const chunk of createReadStream(file)) original.update(chunk as Buffer);
      expect(stored.digest('hex')).toBe(original.digest('hex'));
    },
    processTestTimeoutMs,
  );
});
