import { describe, expect, it } from 'vitest';
import { type CairnError, isCairnError } from '../errors/cairn-error.js';
import type { Logger } from '../logging/logger.js';
import { rejection } from '../testing/rejection.js';
import { createMemoryStorage } from './memory-storage.js';
import { createMirroredStorage } from './mirrored-storage.js';
import type { Storage } from './storage.js';

describe('createMirroredStorage options', () => {
  it('refuses fewer than two copies, in either form', () => {
    const only = createMemoryStorage();
    for (const copies of [[only], { primary: only, backups: [] }]) {
      const error = (() => {
        try {
          createMirroredStorage({ copies });
        } catch (caught) {
          return caught;
        }
        return undefined;
      })();
      expect(isCairnError(error, 'INVALID_OPTIONS')).toBe(true);
      expect((error as CairnError).message).toMatch(/^\[cairn\] \[mirror\] Invalid mirrored/);
      expect((error as CairnError).message).toContain('copies');
    }
  });

  it('refuses the same storage twice, things that are not storages, and bad limits', () => {
    const memory = createMemoryStorage();
    expect(() => createMirroredStorage({ copies: [memory, memory] })).toThrow(
      /same storage object/,
    );
    expect(() => createMirroredStorage({ copies: [memory, {} as unknown as Storage] })).toThrow(
      /copies.1: expected a Storage/,
    );
    expect(() =>
      createMirroredStorage({ copies: [memory, createMemoryStorage()], bufferLimitBytes: 0 }),
    ).toThrow(/bufferLimitBytes/);
    expect(() =>
      createMirroredStorage({
        copies: [memory, createMemoryStorage()],
        logger: { warn: () => {} } as unknown as Logger,
      }),
    ).toThrow(/logger/);
  });

  it('puts the primary first whichever form names the copies', () => {
    const [primary, backup] = [createMemoryStorage(), createMemoryStorage()];
    const mirror = createMirroredStorage({ copies: { primary, backups: [backup] }, name: 'twin' });
    expect(mirror.copies).toEqual([primary, backup]);
    expect(mirror.name).toBe('twin');
  });

  it('derives capabilities from its copies and refuses ranged reads it cannot verify', async () => {
    const primary = createMemoryStorage();
    const backup: Storage = {
      ...createMemoryStorage(),
      capabilities: { ...primary.capabilities, atomicPut: false, maxKeyBytes: 200 },
    };
    const mirror = createMirroredStorage({ copies: [primary, backup] });
    expect(mirror.capabilities).toEqual({
      conditionalWrites: true,
      rangedReads: false,
      sha256: true,
      atomicPut: false,
      maxKeyBytes: 200,
    });
    await mirror.put('a', 'hello');
    const error = await rejection(mirror.get('a', { range: { start: 0, end: 1 } }));
    expect(error.code).toBe('UNSUPPORTED');
    expect(isCairnError(await rejection(mirror.put('k'.repeat(201), 'x')), 'INVALID_KEY')).toBe(
      true,
    );
  });
});
