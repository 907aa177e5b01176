import { describe, expect, it } from 'vitest';
import { isCairnError } from '../errors/cairn-error.js';
import { rejection } from '../testing/rejection.js';
import { createCodecRegistry, decodeState, encodeState, jsonCodec, rawCodec } from './codec.js';

function encodeError(value: unknown) {
  try {
    jsonCodec.encode(value);
  } catch (error) {
    if (isCairnError(error)) return error;
    throw error;
  }
  throw new Error('expected encode to throw');
}

describe('jsonCodec', () => {
  it('encodes plain JSON and decodes it back equal', () => {
    const value = { a: [1, 'two', { three: null }], b: true, 'odd key': -0.5 };
    const bytes = jsonCodec.encode(value);
    expect(jsonCodec.decode(Buffer.from(bytes))).toEqual(value);
  });

  it.each([
    ['undefined', { a: { b: undefined } }, 'state.a.b is undefined'],
    ['a function', { run: () => 1 }, 'state.run is a function'],
    ['a bigint', { n: 10n }, 'state.n is a bigint'],
    ['a symbol', [Symbol('x')], 'state[0] is a symbol'],
    ['NaN', { score: Number.NaN }, 'state.score is NaN'],
    ['Infinity', { score: [1, Number.POSITIVE_INFINITY] }, 'state.score[1] is Infinity'],
    ['a Date', { when: new Date(0) }, 'state.when is a Date'],
    ['a Map', { index: new Map() }, 'state.index is a Map'],
    // biome-ignore lint/suspicious/noSparseArray: the hole is the point
    ['a sparse array', { list: [1, , 3] }, 'state.list[1] is a hole'],
    ['an odd key', { 'a b': undefined }, 'state["a b"] is undefined'],
  ])('refuses %s, naming the path', (_name, value, expected) => {
    const error = encodeError(value);
    expect(error.code).toBe('INVALID_OPTIONS');
    expect(error.message).toContain(expected);
  });

  it('refuses cycles and names where the cycle closes', () => {
    const parent: Record<string, unknown> = { child: {} };
    (parent.child as Record<string, unknown>).back = parent;
    const error = encodeError(parent);
    expect(error.message).toContain('state.child.back refers back to one of its own parents');
  });

  it('accepts the same object twice when it is not a cycle', () => {
    const shared = { x: 1 };
    expect(JSON.parse(jsonCodec.encode({ a: shared, b: shared }) as string)).toEqual({
      a: { x: 1 },
      b: { x: 1 },
    });
  });

  it('accepts objects without a prototype', () => {
    const value = Object.assign(Object.create(null), { a: 1 });
    expect(jsonCodec.encode(value)).toBe('{"a":1}');
  });
});

describe('rawCodec', () => {
  it('passes bytes through and refuses anything else', () => {
    const bytes = Buffer.from([0, 1, 2]);
    expect(rawCodec.encode(bytes)).toBe(bytes);
    expect(() => rawCodec.encode('text' as unknown as Uint8Array)).toThrow(/takes a Uint8Array/);
  });
});

describe('codec registry', () => {
  const upper = {
    name: 'upper',
    contentType: 'text/plain',
    encode: (value: unknown) => String(value).toUpperCase(),
    decode: (bytes: Buffer) => bytes.toString('utf8').toLowerCase(),
  };

  it('knows the built-in codecs and the ones given', () => {
    const registry = createCodecRegistry([upper]);
    expect(registry.names).toEqual(['json', 'raw', 'upper']);
    expect(registry.resolve('upper')).toBe(upper);
  });

  it('lists the known codecs when asked for an unknown one', async () => {
    const registry = createCodecRegistry([upper]);
    const error = await rejection(Promise.resolve().then(() => registry.resolve('msgpack', 'a/b')));
    expect(error.code).toBe('UNSUPPORTED');
    expect(error.message).toContain('codec "msgpack"');
    expect(error.message).toContain('known: json, raw, upper');
    expect(error.message).toContain('Checkpoint "a/b"');
  });

  it('refuses a codec that replaces a built-in one or is given twice', () => {
    expect(() => createCodecRegistry([{ ...upper, name: 'json' }])).toThrow(/replaces a built-in/);
    expect(() => createCodecRegistry([upper, upper])).toThrow(/given twice/);
  });

  it('refuses a codec without a usable content type', () => {
    expect(() => createCodecRegistry([{ ...upper, contentType: '' }])).toThrow(/content type ""/);
  });

  it('refuses a codec name that is not a plain word', () => {
    expect(() => createCodecRegistry([{ ...upper, name: 'a/b' }])).toThrow(/not valid/);
    expect(() => createCodecRegistry([{ ...upper, name: '' }])).toThrow(/not valid/);
  });

  it('turns a custom codec failure into INVALID_OPTIONS on encode and CORRUPT_DATA on decode', async () => {
    const broken = {
      name: 'broken',
      contentType: 'text/plain',
      encode: () => {
        throw new TypeError('cannot encode this');
      },
      decode: () => {
        throw new TypeError('cannot decode this');
      },
    };
    const encodeFailure = await rejection(Promise.resolve().then(() => encodeState(broken, 1)));
    expect(encodeFailure.code).toBe('INVALID_OPTIONS');
    expect(encodeFailure.message).toContain(
      'Codec "broken" could not encode the state: cannot encode this',
    );
    const decodeFailure = await rejection(
      Promise.resolve().then(() => decodeState(broken, Buffer.from('x'), 'step/id')),
    );
    expect(decodeFailure.code).toBe('CORRUPT_DATA');
    expect(decodeFailure.message).toContain('"step/id"');
  });

  it('refuses an encode result that is not bytes or a string', async () => {
    const wrong = { ...upper, encode: () => 42 as unknown as string };
    const error = await rejection(Promise.resolve().then(() => encodeState(wrong, 'x')));
    expect(error.message).toContain('must return a string or a Uint8Array');
  });
});
