import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { type CheckpointRecord, formatSidecar, parseSidecar } from './checkpoint-record.js';

const record: CheckpointRecord = {
  format: 'cairn.checkpoint/v1',
  id: 'train/20250810T143022.123Z-k3f9a2',
  run: 'research/20250810T143000.000Z-abcdef',
  step: 'train',
  createdAt: '2025-08-10T14:30:22.123Z',
  size: 12,
  sha256: 'a'.repeat(64),
  codec: 'json',
  contentType: 'application/json',
  // Strings YAML 1.1 parsers or a timestamp-aware schema would turn into something else.
  metadata: {
    answer: 'yes',
    off: 'off',
    hex: '0x1F',
    octal: '0o17',
    exponent: '1e3',
    nullish: 'null',
    tilde: '~',
    date: '2025-08-10',
    when: '2025-08-10T14:30:22Z',
    infinity: '.inf',
    multiline: 'first line\nsecond: line\n',
    colon: 'key: value',
    unicode: 'naïve – 模型 🚀',
    quoteStart: "'quoted'",
    merge: '<<',
    nested: { list: [1, 2.5, -3, true, null, 'x'], empty: {}, emptyList: [] },
    large: 9007199254740991,
  },
  metrics: { loss: 0.125, hmean: 1e-12, negative: -4 },
  tags: ['best', 'true', '123'],
  sequence: 3,
};

describe('sidecar YAML', () => {
  it('reads back exactly what formatSidecar wrote, including strings that look like other types', () => {
    const text = formatSidecar(record);
    const parsed = parseSidecar(Buffer.from(text), record.id);
    expect(parsed).toEqual({ ok: true, record });
  });

  it('reads a sidecar the same way as the yaml package (the reference reader)', () => {
    const text = formatSidecar(record);
    const parsed = parseSidecar(Buffer.from(text), record.id);
    expect(parsed.ok && parsed.record).toEqual(parse(text));
  });

  it('refuses duplicate keys, which a hand edit can introduce', () => {
    const text = `${formatSidecar(record)}size: 13\n`;
    const parsed = parseSidecar(Buffer.from(text), record.id);
    expect(parsed.ok).toBe(false);
    expect(!parsed.ok && parsed.reason).toMatch(/not valid YAML/);
  });
});
