import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach } from 'vitest';
import type { ArchiveEntry } from '../archive-entry.js';

const created: string[] = [];

/** A fresh folder on real disk, removed after the current test. */
export async function temporaryDirectory(): Promise<string> {
  const directory = await mkdtemp(join(tmpdir(), 'cairn-llm-archive-'));
  created.push(directory);
  return directory;
}

afterEach(async () => {
  for (const directory of created.splice(0)) await rm(directory, { recursive: true, force: true });
});

/** A run id for tests. */
export const testRun = 'generate/20250810T143022.123Z-k3f9a2';

/** The fields of an entry for attempt `attempt` of call `call`, as a recorder would give them. */
export function entryFields(
  call: string,
  attempt = 1,
): Omit<ArchiveEntry, 'seq' | 'prev' | 'response' | 'responseSha256'> {
  return {
    at: '2025-08-10T14:30:22.123Z',
    run: testRun,
    step: 'generate',
    item: 7,
    requestedModel: 'gpt-test',
    servedModel: 'gpt-test-2025',
    provider: 'loopback',
    attempt,
    call,
    promptTokens: 12,
    completionTokens: 34,
    cost: { usd: 0.0001 },
    latencyMs: 12.5,
    status: 'ok',
    requestHash: 'a'.repeat(64),
  };
}
