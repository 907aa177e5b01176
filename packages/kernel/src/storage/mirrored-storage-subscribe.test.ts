import { describe, expect, it } from 'vitest';
import type { Logger } from '../logging/logger.js';
import { mirrorOf, text } from '../testing/mirrored-storage-support.js';
import type { MemoryStorage } from './memory-storage.js';
import type { MirrorEvent } from './mirrored-storage-events.js';

describe('mirrored storage subscribe', () => {
  it('delivers every later event to subscribers as well as to onEvent', async () => {
    const { mirror, copies, events } = mirrorOf();
    const [primary] = copies as [MemoryStorage];
    await mirror.put('a', 'good');
    const seen: MirrorEvent[] = [];
    mirror.subscribe((event) => seen.push(event));
    await primary.delete('a');
    expect(await text(mirror, 'a')).toBe('good');
    expect(seen.map((event) => event.type)).toEqual(['copy-missing', 'copy-repaired']);
    expect(seen).toEqual(events);
  });

  it('stops delivering once unsubscribed, leaving other subscribers subscribed', async () => {
    const { mirror, copies } = mirrorOf();
    const [primary] = copies as [MemoryStorage];
    await mirror.put('a', 'good');
    const first: string[] = [];
    const second: string[] = [];
    const unsubscribe = mirror.subscribe((event) => first.push(event.type));
    mirror.subscribe((event) => second.push(event.type));
    unsubscribe();
    unsubscribe();
    await primary.delete('a');
    await text(mirror, 'a');
    expect(first).toEqual([]);
    expect(second).toEqual(['copy-missing', 'copy-repaired']);
  });

  it('treats the same function subscribed twice as two subscriptions', async () => {
    const { mirror, copies } = mirrorOf();
    const [primary] = copies as [MemoryStorage];
    await mirror.put('a', 'good');
    const seen: string[] = [];
    const listener = (event: MirrorEvent) => seen.push(event.type);
    const unsubscribeFirst = mirror.subscribe(listener);
    mirror.subscribe(listener);
    unsubscribeFirst();
    await primary.delete('a');
    await text(mirror, 'a');
    expect(seen).toEqual(['copy-missing', 'copy-repaired']);
  });

  it('a throwing subscriber neither fails the read nor keeps others from the event', async () => {
    const errors: unknown[] = [];
    const logger: Logger = {
      debug: () => {},
      info: () => {},
      warn: () => {},
      error: (fields: object | string) => {
        errors.push(fields);
      },
      child: () => logger,
    };
    const { mirror, copies, events } = mirrorOf(2, { logger });
    const [primary] = copies as [MemoryStorage];
    await mirror.put('a', 'good');
    mirror.subscribe(() => {
      throw new Error('subscriber bug');
    });
    const seen: string[] = [];
    mirror.subscribe((event) => seen.push(event.type));
    primary.corrupt('a', 'evil');
    expect(await text(mirror, 'a')).toBe('good');
    expect(seen).toEqual(['copy-corrupt', 'copy-repaired']);
    expect(events.map((event) => event.type)).toEqual(['copy-corrupt', 'copy-repaired']);
    expect(errors).toHaveLength(2);
  });

  it('refuses a listener that is not a function', () => {
    const { mirror } = mirrorOf();
    expect(() => mirror.subscribe('listener' as never)).toThrow(/takes a function/);
  });
});
