import { describe, expect, it } from 'vitest';
import { findSecretLeaks } from './secret-leaks.js';

const secret = 'sk-test-0123456789';

describe('findSecretLeaks', () => {
  it('finds a secret deep in an error: cause, details, an AggregateError, a URL, a Map', () => {
    const error = new AggregateError(
      [
        new Error('inner', {
          cause: { request: { headers: { authorization: `Bearer ${secret}` } } },
        }),
      ],
      'outer',
    );
    const paths = findSecretLeaks(
      {
        error,
        url: new URL(`https://tracker.test/api?key=${secret}`),
        headers: new Map([['x-api-key', secret]]),
      },
      [secret],
      'value',
    ).map((leak) => leak.path);
    expect(paths).toContain('value.error.errors[0].cause.request.headers.authorization');
    expect(paths).toContain('value.url (as text)');
    expect(paths).toContain('value.headers.get(x-api-key)');
  });

  it('says which secret leaked by index and ignores empty secrets', () => {
    expect(
      findSecretLeaks({ reason: `no run for ${secret}` }, ['', 'other', secret], 'outcome'),
    ).toEqual([{ secretIndex: 2, path: 'outcome.reason' }]);
  });

  it('finds nothing in a clean error with a cycle and an object without a prototype', () => {
    const error = new Error('[cairn] [wandb] The W&B API refused the key (401).');
    (error as { cause?: unknown }).cause = error;
    const bare = Object.assign(Object.create(null), { note: 'fine' });
    expect(findSecretLeaks({ error, bare }, [secret], 'value')).toEqual([]);
  });
});
