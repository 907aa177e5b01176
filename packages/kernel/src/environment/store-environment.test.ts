import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { runKeys } from '../naming/layout.js';
import { readAll, sha256Of } from '../storage/body.js';
import { createMemoryStorage } from '../storage/memory-storage.js';
import type { PutOptions, Storage } from '../storage/storage.js';
import { rejection } from '../testing/rejection.js';
import type { EnvironmentCapture } from './capture-environment.js';
import type { EnvironmentRecord } from './environment-record.js';
import { readEnvironment, readGitDiff, storeEnvironment } from './store-environment.js';

const run = 'research/20250810T143022.123Z-k3f9a2';
const keys = runKeys(run);
const diff = 'diff --git a/x b/x\n@@ -1 +1 @@\n-old\n+new\n';

function captureWith(gitDiff?: string): EnvironmentCapture {
  const record: EnvironmentRecord = {
    format: 'cairn.environment/v1',
    level: 2,
    capturedAt: '2025-08-10T14:30:22.123Z',
    runtime: { node: 'v20.0.0', v8: '11.3', platform: 'linux', arch: 'x64' },
    git: {
      root: '/repo',
      commit: 'a'.repeat(40),
      dirty: gitDiff !== undefined,
      untrackedFiles: 0,
      ...(gitDiff === undefined
        ? {}
        : {
            diff: {
              sha256: sha256Of(gitDiff),
              bytes: Buffer.byteLength(gitDiff),
              truncated: false,
              limitBytes: 1024,
              redactions: 0,
            },
          }),
    },
    warnings: [],
  };
  return { record, ...(gitDiff === undefined ? {} : { gitDiff }), warnings: [] };
}

async function text(storage: Storage, key: string): Promise<string> {
  return (await readAll((await storage.get(key)).body)).toString('utf8');
}

/** A storage that notes each put's key and options. */
function recordingPuts(inner: Storage) {
  const puts: { key: string; options: PutOptions | undefined }[] = [];
  const storage: Storage = {
    ...inner,
    put: (key, body, options) => {
      puts.push({ key, options });
      return inner.put(key, body, options);
    },
  };
  return { storage, puts };
}

describe('storeEnvironment', () => {
  it('writes the diff as its own blob, then the YAML record naming its key and digest', async () => {
    const { storage, puts } = recordingPuts(createMemoryStorage());
    const stored = await storeEnvironment(storage, run, captureWith(diff));
    expect(stored).toEqual({ record: keys.environment, gitDiff: keys.gitDiff });
    expect(puts.map((put) => put.key)).toEqual([keys.gitDiff, keys.environment]);
    for (const put of puts) expect(put.options?.ifNoneMatch).toBe('*');
    expect(await text(storage, keys.gitDiff)).toBe(diff);
    const record = parse(await text(storage, keys.environment));
    expect(record.git.diff).toMatchObject({ key: keys.gitDiff, sha256: sha256Of(diff) });
    expect(await readEnvironment(storage, run)).toEqual(record);
    expect(await readGitDiff(storage, run)).toBe(diff);
  });

  it('writes only the record when there is no diff', async () => {
    const storage = createMemoryStorage();
    const stored = await storeEnvironment(storage, run, captureWith());
    expect(stored).toEqual({ record: keys.environment });
    expect(storage.size).toBe(1);
    expect(await readGitDiff(storage, run)).toBeUndefined();
  });

  it('succeeds when the same capture is stored again, or after a crash between its writes', async () => {
    const storage = createMemoryStorage();
    await storage.put(keys.gitDiff, diff);
    const capture = captureWith(diff);
    await storeEnvironment(storage, run, capture);
    await storeEnvironment(storage, run, capture);
    expect(await readGitDiff(storage, run)).toBe(diff);
  });

  it('refuses to replace a different environment of the same run', async () => {
    const storage = createMemoryStorage();
    await storeEnvironment(storage, run, captureWith(diff));
    const error = await rejection(storeEnvironment(storage, run, captureWith(`${diff}+more\n`)));
    expect(error.code).toBe('PRECONDITION_FAILED');
    expect(error.message).toContain('already has a different environment');
    expect(await readGitDiff(storage, run)).toBe(diff);
  });

  it('rejects a capture whose diff no longer matches its record, writing nothing', async () => {
    const storage = createMemoryStorage();
    const capture = { ...captureWith(diff), gitDiff: `${diff}+edited\n` };
    const error = await rejection(storeEnvironment(storage, run, capture));
    expect(error.code).toBe('INVALID_OPTIONS');
    expect(storage.size).toBe(0);
  });

  it('rejects a record that does not validate, writing nothing', async () => {
    const storage = createMemoryStorage();
    const capture = captureWith();
    const bad = { ...capture, record: { ...capture.record, level: 7 } } as never;
    const error = await rejection(storeEnvironment(storage, run, bad));
    expect(error.code).toBe('INVALID_OPTIONS');
    expect(error.message).toContain('level');
    expect(storage.size).toBe(0);
  });

  it('rejects a bad run id', async () => {
    const error = await rejection(
      storeEnvironment(createMemoryStorage(), 'no-time-id', captureWith()),
    );
    expect(error.code).toBe('INVALID_OPTIONS');
  });

  it('stops before writing when the signal has aborted', async () => {
    const storage = createMemoryStorage();
    const controller = new AbortController();
    controller.abort(new Error('stop'));
    const error = await rejection(
      storeEnvironment(storage, run, captureWith(diff), { signal: controller.signal }),
    );
    expect(error.code).toBe('ABORTED');
    expect(storage.size).toBe(0);
  });
});

describe('readEnvironment', () => {
  it('returns undefined when the run has no environment', async () => {
    expect(await readEnvironment(createMemoryStorage(), run)).toBeUndefined();
  });

  it.each([
    ['not YAML', 'format: [unclosed', 'is not valid YAML'],
    ['not a record', 'format: cairn.environment/v1\nlevel: 9\n', 'is not an environment record'],
    ['empty', '', 'is not an environment record'],
  ])('reports a record that is %s as corrupt', async (_what, content, message) => {
    const storage = createMemoryStorage();
    await storage.put(keys.environment, content);
    const error = await rejection(readEnvironment(storage, run));
    expect(error.code).toBe('CORRUPT_DATA');
    expect(error.message).toContain(message);
  });

  it('reports a newer format as unsupported', async () => {
    const storage = createMemoryStorage();
    await storage.put(keys.environment, 'format: cairn.environment/v2\nlevel: 1\n');
    const error = await rejection(readEnvironment(storage, run));
    expect(error.code).toBe('UNSUPPORTED');
    expect(error.message).toContain('cairn.environment/v2');
  });
});

describe('readGitDiff', () => {
  it('reports a diff that does not match its digest', async () => {
    const storage = createMemoryStorage();
    await storeEnvironment(storage, run, captureWith(diff));
    storage.corrupt(keys.gitDiff, diff.replace('new', 'NEW'));
    const error = await rejection(readGitDiff(storage, run));
    expect(error.code).toBe('CORRUPT_DATA');
    expect(error.message).toContain('does not match the SHA-256');
  });

  it('reports a diff the record names but that is missing', async () => {
    const storage = createMemoryStorage();
    await storeEnvironment(storage, run, captureWith(diff));
    await storage.delete(keys.gitDiff);
    const error = await rejection(readGitDiff(storage, run));
    expect(error.code).toBe('CORRUPT_DATA');
    expect(error.message).toContain('is missing');
  });
});
