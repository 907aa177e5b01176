import { pipeline, Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { isCairnError } from '../errors/cairn-error.js';
import { sha256Of } from './body.js';
import {
  digestMetadataKey,
  primaryEtagMetadataKey,
  publicInfo,
  recordedDigest,
  recordedPrimaryEtag,
  VerifyingTransform,
  withDigestMetadata,
} from './mirrored-storage-digest.js';
import type { ObjectInfo } from './storage.js';

const info: ObjectInfo = { key: 'a', size: 3, etag: '"1"', lastModified: new Date(0) };

function verified(parts: string[], expected: string, size: number) {
  const received: string[] = [];
  const verifier = new VerifyingTransform({
    key: 'a',
    sha256: sha256Of(expected),
    size,
    backend: 'mirror',
    copy: 'copy 0 (memory, primary)',
  });
  const done = new Promise<void>((resolve, reject) => {
    verifier.on('data', (chunk: Buffer) => received.push(chunk.toString()));
    pipeline(Readable.from(parts.map((part) => Buffer.from(part))), verifier, (error) =>
      error ? reject(error) : resolve(),
    );
  });
  return { done, received };
}

describe('recordedDigest and publicInfo', () => {
  it("prefers the backend's digest, then the mirror's metadata, ignoring malformed entries", () => {
    const fromMetadata = sha256Of('m');
    expect(
      recordedDigest({
        ...info,
        sha256: 'b'.repeat(64),
        metadata: { [digestMetadataKey]: fromMetadata },
      }),
    ).toBe('b'.repeat(64));
    expect(recordedDigest({ ...info, metadata: { [digestMetadataKey]: fromMetadata } })).toBe(
      fromMetadata,
    );
    expect(
      recordedDigest({ ...info, metadata: { [digestMetadataKey]: 'not hex' } }),
    ).toBeUndefined();
  });

  it('hides the mirror entries and fills in the digest', () => {
    const digest = sha256Of('m');
    expect(
      publicInfo({
        ...info,
        metadata: { [digestMetadataKey]: digest, [primaryEtagMetadataKey]: '"7"', epoch: '3' },
      }),
    ).toEqual({ ...info, sha256: digest, metadata: { epoch: '3' } });
  });

  it("replaces a caller's own entries under the mirror's names", () => {
    const forged = { [digestMetadataKey]: sha256Of('forged'), [primaryEtagMetadataKey]: '"x"' };
    expect(withDigestMetadata({ ...forged, kept: 'yes' }, undefined)).toEqual({ kept: 'yes' });
    expect(withDigestMetadata(forged, sha256Of('real'), '"1"')).toEqual({
      [digestMetadataKey]: sha256Of('real'),
      [primaryEtagMetadataKey]: '"1"',
    });
    expect(withDigestMetadata(undefined, undefined)).toBeUndefined();
    expect(recordedPrimaryEtag({ ...info, metadata: { [primaryEtagMetadataKey]: '"1"' } })).toBe(
      '"1"',
    );
  });
});

describe('VerifyingTransform', () => {
  it('passes matching bytes through whole', async () => {
    const { done, received } = verified(['ab', 'cd', 'ef'], 'abcdef', 6);
    await done;
    expect(received.join('')).toBe('abcdef');
  });

  it('fails mismatching bytes with CORRUPT_DATA and never delivers the last chunk', async () => {
    const { done, received } = verified(['ab', 'cd', 'XX'], 'abcdef', 6);
    const error = await done.catch((caught: unknown) => caught);
    expect(isCairnError(error, 'CORRUPT_DATA')).toBe(true);
    expect(received.join('')).toBe('abcd');
  });

  it('fails a truncated stream even before the digest is compared', async () => {
    const { done } = verified(['abc'], 'abcdef', 6);
    await expect(done).rejects.toThrow(/changed while being read/);
  });
});
