import { describe, expect, it } from 'vitest';
import { CairnError, isCairnError } from './cairn-error.js';

describe('CairnError', () => {
  it('prefixes the message with cairn and the backend', () => {
    const error = new CairnError({ code: 'NOT_FOUND', backend: 'fs', message: 'No object "a".' });
    expect(error.message).toBe('[cairn] [fs] No object "a".');
    expect(error.backend).toBe('fs');
    expect(error.name).toBe('CairnError');
  });

  it('defaults retryable by code and lets the thrower override it', () => {
    expect(new CairnError({ code: 'TRANSIENT_IO', message: 'x' }).retryable).toBe(true);
    expect(new CairnError({ code: 'CONFLICT', message: 'x' }).retryable).toBe(true);
    expect(new CairnError({ code: 'PERMANENT_IO', message: 'x' }).retryable).toBe(false);
    expect(new CairnError({ code: 'PERMANENT_IO', message: 'x', retryable: true }).retryable).toBe(
      true,
    );
  });

  it('keeps the cause', () => {
    const cause = new Error('EIO');
    expect(new CairnError({ code: 'TRANSIENT_IO', message: 'x', cause }).cause).toBe(cause);
  });

  it('is recognised without instanceof, as a second copy of the package would make it', () => {
    // A copy of the kernel loaded twice has its own class but shares the Symbol.for brand.
    const foreign = Object.assign(new Error('[cairn] [s3] gone'), {
      code: 'NOT_FOUND',
      [Symbol.for('@cairn/kernel/error')]: true,
    });
    expect(foreign instanceof CairnError).toBe(false);
    expect(isCairnError(foreign)).toBe(true);
    expect(isCairnError(foreign, 'NOT_FOUND')).toBe(true);
    expect(isCairnError(foreign, 'CORRUPT_DATA')).toBe(false);
  });

  it('rejects look-alikes without the brand', () => {
    expect(isCairnError(Object.assign(new Error('x'), { code: 'NOT_FOUND' }))).toBe(false);
    expect(isCairnError(null)).toBe(false);
    expect(isCairnError('NOT_FOUND')).toBe(false);
  });
});
