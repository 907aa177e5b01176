import { describe, expect, it } from 'vitest';
import { abortedError } from './aborted-error.js';
import { isCairnError } from './cairn-error.js';

describe('abortedError', () => {
  it('builds a non-retryable ABORTED error that keeps the reason as its cause', () => {
    const reason = new Error('Ctrl+C');
    const error = abortedError('fs', reason, 'Reading "runs/1"', { details: { key: 'runs/1' } });
    expect(isCairnError(error, 'ABORTED')).toBe(true);
    expect(error.backend).toBe('fs');
    expect(error.retryable).toBe(false);
    expect(error.cause).toBe(reason);
    expect(error.details).toEqual({ key: 'runs/1' });
    expect(error.message).toBe(
      '[cairn] [fs] Reading "runs/1" was aborted. Nothing to do if the caller cancelled on purpose; otherwise see the cause for who aborted it.',
    );
  });

  it('says when it was aborted and uses the given hint', () => {
    const error = abortedError('mirror', 'shutdown', 'Scrub', {
      when: 'after 12 objects',
      hint: 'Run it again to continue.',
    });
    expect(error.message).toBe(
      '[cairn] [mirror] Scrub was aborted after 12 objects. Run it again to continue.',
    );
    expect(error.cause).toBe('shutdown');
    expect(error.details).toEqual({});
  });
});
