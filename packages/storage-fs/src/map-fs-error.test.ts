import { CairnError } from '@cairn/kernel';
import { describe, expect, it } from 'vitest';
import { mapFsError } from './map-fs-error.js';
import { systemError } from './testing/faulty-file-system.js';

const context = { operation: 'write', key: 'runs/a/item.json', path: '/data/runs/a/item.json' };

describe('mapFsError', () => {
  it.each([
    ['ENOENT', 'NOT_FOUND', false, 'nothing exists at /data/runs/a/item.json'],
    ['EACCES', 'PERMANENT_IO', false, 'Check the permissions of /data/runs/a/item.json'],
    ['EPERM', 'PERMANENT_IO', false, 'permission denied'],
    ['ENOSPC', 'PERMANENT_IO', false, 'Free disk space'],
    ['EDQUOT', 'PERMANENT_IO', false, 'quota'],
    ['EROFS', 'PERMANENT_IO', false, 'read-only'],
    ['EMFILE', 'TRANSIENT_IO', true, 'too many files are open'],
    ['ENFILE', 'TRANSIENT_IO', true, 'ulimit -n'],
    ['EAGAIN', 'TRANSIENT_IO', true, 'busy'],
    ['EBUSY', 'TRANSIENT_IO', true, 'Retry in a moment'],
    ['EIO', 'TRANSIENT_IO', true, "check the disk's health"],
    ['ENOTDIR', 'INVALID_KEY', false, 'cannot be both an object and a folder'],
    ['EISDIR', 'INVALID_KEY', false, 'cannot be both an object and a folder'],
    ['ENAMETOOLONG', 'INVALID_KEY', false, 'too long'],
    ['ELOOP', 'PERMANENT_IO', false, 'symbolic link'],
    ['EXDEV', 'PERMANENT_IO', false, 'another file system'],
    ['EWHATEVER', 'PERMANENT_IO', false, 'failed with EWHATEVER'],
  ])('%s becomes %s (retryable: %s)', (systemCode, code, retryable, words) => {
    const cause = systemError(systemCode);
    const error = mapFsError(cause, context);
    expect(error).toBeInstanceOf(CairnError);
    expect(error.code).toBe(code);
    expect(error.retryable).toBe(retryable);
    expect(error.backend).toBe('fs');
    expect(error.message).toMatch(/^\[cairn\] \[fs\] Could not write "runs\/a\/item\.json": /);
    expect(error.message).toContain(words);
    expect(error.cause).toBe(cause);
    expect(error.details).toEqual({ ...context, systemCode });
  });

  it('passes CairnErrors through and names operations without a key', () => {
    const original = new CairnError({ code: 'ABORTED', backend: 'fs', message: 'stop' });
    expect(mapFsError(original, context)).toBe(original);
    const error = mapFsError(new Error('odd'), { operation: 'list', path: '/data' });
    expect(error.code).toBe('PERMANENT_IO');
    expect(error.message).toContain(
      'Could not list: the file system failed with an unexpected error',
    );
    expect(error.details).toEqual({ operation: 'list', path: '/data' });
  });
});
