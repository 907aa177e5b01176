import { Writable } from 'node:stream';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { type Logger, silentLogger } from './logger.js';

describe('Logger', () => {
  it('is satisfied by a real pino logger, bindings included', () => {
    const lines: string[] = [];
    const sink = new Writable({
      write(chunk, _encoding, done) {
        lines.push(String(chunk));
        done();
      },
    });
    const logger: Logger = pino({ level: 'debug' }, sink);
    logger.child({ backend: 'fs' }).warn({ key: 'a' }, 'repaired');
    logger.info('plain');
    const entries = lines.map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(entries[0]).toMatchObject({ backend: 'fs', key: 'a', msg: 'repaired', level: 40 });
    expect(entries[1]).toMatchObject({ msg: 'plain', level: 30 });
  });

  it('stays silent by default', () => {
    const written: unknown[] = [];
    const originalWrite = process.stdout.write;
    const originalError = process.stderr.write;
    const capture = ((chunk: unknown) => written.push(chunk) > 0) as typeof process.stdout.write;
    process.stdout.write = capture;
    process.stderr.write = capture;
    try {
      const child = silentLogger.child({ a: 1 });
      child.error({ a: 1 }, 'x');
      silentLogger.warn('y');
    } finally {
      process.stdout.write = originalWrite;
      process.stderr.write = originalError;
    }
    expect(written).toEqual([]);
  });
});
