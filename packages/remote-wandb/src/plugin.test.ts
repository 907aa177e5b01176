import { silentLogger } from '@cairn/kernel';
import { describe, expect, it } from 'vitest';
import { plugin } from './plugin.js';

describe('the wandb plugin manifest', () => {
  it('is a metadata source named wandb whose apiKey is secret', () => {
    expect(plugin.kind).toBe('metadata-source');
    expect(plugin.name).toBe('wandb');
    expect(plugin.secretOptions).toEqual(['apiKey']);
  });

  it('validates options with its schema and builds a source', async () => {
    const parsed = plugin.optionsSchema.parse({
      apiKey: 'key-for-the-manifest-test',
      offline: true,
    });
    expect(parsed.baseUrl).toBe('https://api.wandb.ai');
    expect(parsed.cacheTtlMs).toBe(3_600_000);
    const source = await plugin.create(parsed, { projectDirectory: '.', logger: silentLogger });
    expect(source.name).toBe('wandb');
    expect(plugin.optionsSchema.safeParse({ timeoutMs: 0 }).success).toBe(false);
  });
});
