import { describe, expect, it } from 'vitest';
import { canaries, canaryPrivateKeyLines } from '../testing/environment-canaries.js';
import { scrubGitDiff, scrubText } from './scrub-text.js';

const objectIdA = 'c8b60fc6eb127f8aa54cb117325f26ff1d0e6d6c';
const objectIdB = '0d3e2b8f5a7c9e1b4d6f8a0c2e4b6d8f0a1c3e5b';

describe('scrubText', () => {
  it('replaces known values, longest first, then shaped secrets', () => {
    const secrets = new Set(['hunter22', 'hunter22-and-more']);
    const { text, redactions } = scrubText(
      `a=hunter22-and-more b=hunter22 c=${canaries.awsAccessKeyId}`,
      secrets,
    );
    expect(text).toBe('a=[redacted] b=[redacted] c=[redacted]');
    expect(redactions).toBe(3);
  });
});

describe('scrubGitDiff', () => {
  it('scrubs added and removed lines but keeps object ids and binary patches', () => {
    const binaryData = `zcmV${canaries.highEntropy}Qx`;
    const diff = [
      'diff --git a/.env b/.env',
      `index ${objectIdA}..${objectIdB} 100644`,
      '--- a/.env',
      '+++ b/.env',
      '@@ -1 +1,2 @@',
      '-API_KEY=old-known-secret',
      `+API_KEY=${canaries.openAiKey}`,
      `+TOKEN=${canaries.githubToken}`,
      'diff --git a/model.bin b/model.bin',
      `index ${objectIdB}..${objectIdA} 100644`,
      'GIT binary patch',
      'literal 12',
      binaryData,
      '',
      'literal 0',
      'HcmV?d00001',
      '',
      'diff --git a/notes.txt b/notes.txt',
      '@@ -1 +1 @@',
      `+token ${canaries.highEntropy}`,
      '',
    ].join('\n');
    const { text, redactions } = scrubGitDiff(diff, new Set(['old-known-secret']));
    const lines = text.split('\n');
    expect(lines[1]).toBe(`index ${objectIdA}..${objectIdB} 100644`);
    expect(lines[5]).toBe('-API_KEY=[redacted]');
    expect(lines[6]).toBe('+API_KEY=[redacted]');
    expect(lines[7]).toBe('+TOKEN=[redacted]');
    expect(lines[12]).toBe(binaryData);
    expect(lines[19]).toBe('+token [redacted]');
    expect(lines).toHaveLength(diff.split('\n').length);
    expect(redactions).toBe(4);
  });

  it('scrubs a private key spread over several added lines', () => {
    const diff = ['@@ -0,0 +1,5 @@', ...canaryPrivateKeyLines.map((line) => `+${line}`)].join('\n');
    const { text } = scrubGitDiff(diff, new Set());
    expect(text.split('\n').slice(2, 5)).toEqual(['+[redacted]', '+[redacted]', '+[redacted]']);
  });

  it('scrubs a line of megabytes (a notebook image) without overflowing the regex stack', () => {
    const bytes = new Uint8Array(7_500_000);
    for (let index = 0; index < bytes.length; index += 1) {
      bytes[index] = Math.imul(index + 1, 2654435761) >>> 24;
    }
    const line = `+    "image/png": "${Buffer.from(bytes).toString('base64')}",`;
    const { text } = scrubGitDiff(`@@ -0,0 +1 @@\n${line}\n`, new Set());
    expect(text).toBe('@@ -0,0 +1 @@\n+    "image/png": "[redacted]",\n');
  });
});
