import { isCairnError } from '@cairn/kernel';
import { describe, expect, it } from 'vitest';
import { readExampleSettings } from './example-settings.js';

describe('readExampleSettings', () => {
  it('has defaults', () => {
    expect(readExampleSettings({})).toEqual({ itemCount: 48, latencyMs: 120, callLog: undefined });
    expect(readExampleSettings({ CAIRN_EXAMPLE_ITEMS: ' ', CAIRN_EXAMPLE_CALL_LOG: '' })).toEqual({
      itemCount: 48,
      latencyMs: 120,
      callLog: undefined,
    });
  });

  it('reads every variable', () => {
    expect(
      readExampleSettings({
        CAIRN_EXAMPLE_ITEMS: '200',
        CAIRN_EXAMPLE_LATENCY_MS: '0',
        CAIRN_EXAMPLE_CALL_LOG: '/tmp/calls.jsonl',
      }),
    ).toEqual({ itemCount: 200, latencyMs: 0, callLog: '/tmp/calls.jsonl' });
  });

  it('names a variable that is not a usable number', () => {
    for (const [name, value] of [
      ['CAIRN_EXAMPLE_ITEMS', '0'],
      ['CAIRN_EXAMPLE_ITEMS', 'many'],
      ['CAIRN_EXAMPLE_LATENCY_MS', '-5'],
      ['CAIRN_EXAMPLE_LATENCY_MS', '2.5'],
    ] as const) {
      let error: unknown;
      try {
        readExampleSettings({ [name]: value });
      } catch (thrown) {
        error = thrown;
      }
      expect(isCairnError(error, 'INVALID_OPTIONS')).toBe(true);
      expect((error as Error).message).toContain(`${name} is "${value}"`);
    }
  });
});
