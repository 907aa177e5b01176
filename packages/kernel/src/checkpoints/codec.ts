import { CairnError, isCairnError } from '../errors/cairn-error.js';
import { checkpointsBackend } from './checkpoints-backend.js';
import { assertJsonValue } from './json-value.js';

/**
 * Turns a step's state into bytes and back. The codec's `name` is written into every sidecar,
 * so a checkpoint is always decoded the way it was encoded; register the same codecs wherever
 * checkpoints are loaded.
 */
export interface Codec<Value = unknown> {
  /** Written into the sidecar; letters, digits, `_`, `-`, `.`. `json` and `raw` are built in. */
  readonly name: string;
  /** Media type stored with the payload, e.g. `application/json`. */
  readonly contentType: string;
  /**
   * Encodes a state. Throw (preferably a CairnError `INVALID_OPTIONS`) for a value the codec
   * cannot represent faithfully, rather than storing something that decodes differently.
   */
  encode(value: Value): Uint8Array | string;
  /** Decodes the verified bytes of a payload this codec encoded. */
  decode(bytes: Buffer): Value;
}

/** Name of the codec of checkpoints saved from a body or a file. */
export const rawCodecName = 'raw';

/** Name of the default codec. */
export const jsonCodecName = 'json';

/**
 * JSON state. Refuses values JSON would silently change (`undefined`, functions, bigints,
 * non-finite numbers, cycles, Dates and other non-plain objects) with `INVALID_OPTIONS` naming
 * the path, so what `load` returns always equals what was saved.
 */
export const jsonCodec: Codec = {
  name: jsonCodecName,
  contentType: 'application/json',
  encode(value: unknown): string {
    assertJsonValue(
      value,
      'state',
      'The json codec stores plain JSON only: convert the value, or save it with a codec of your own or as a body.',
    );
    return JSON.stringify(value);
  },
  decode(bytes: Buffer): unknown {
    return JSON.parse(bytes.toString('utf8'));
  },
};

/** Bytes as they are: what `save({ body })` and `save({ file })` record; `load` returns a Buffer. */
export const rawCodec: Codec<Uint8Array> = {
  name: rawCodecName,
  contentType: 'application/octet-stream',
  encode(value: Uint8Array): Uint8Array {
    if (!(value instanceof Uint8Array)) {
      throw new CairnError({
        code: 'INVALID_OPTIONS',
        backend: checkpointsBackend,
        message: `The raw codec takes a Uint8Array or Buffer, got ${describeType(value)}. Pass bytes, or save a stream as { body }.`,
      });
    }
    return value;
  },
  decode(bytes: Buffer): Buffer {
    return bytes;
  },
};

function describeType(value: unknown): string {
  if (value === null) return 'null';
  if (typeof value !== 'object') return typeof value;
  return (value.constructor as { name?: string } | undefined)?.name ?? 'an object';
}

const codecNamePattern = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;

/** The codecs a store knows, by name. */
export interface CodecRegistry {
  /**
   * The codec called `name`.
   * @throws CairnError `UNSUPPORTED` listing the codecs this store knows.
   */
  resolve(name: string, checkpoint?: string): Codec;
  /** Names of every codec known, built-in ones first. */
  readonly names: readonly string[];
}

/**
 * The built-in codecs plus `extra`.
 * @throws CairnError `INVALID_OPTIONS` for a badly named codec or a name given twice.
 */
export function createCodecRegistry(extra: readonly Codec[] = []): CodecRegistry {
  const byName = new Map<string, Codec>([
    [jsonCodec.name, jsonCodec],
    [rawCodec.name, rawCodec as Codec],
  ]);
  for (const codec of extra) {
    if (!codecNamePattern.test(codec.name)) {
      throw new CairnError({
        code: 'INVALID_OPTIONS',
        backend: checkpointsBackend,
        message: `Codec name ${JSON.stringify(codec.name)} is not valid: use 1 to 64 letters, digits, "_", "-" or ".", starting with a letter or digit.`,
      });
    }
    if (!/^[\x21-\x7e][\x20-\x7e]{0,199}$/.test(codec.contentType)) {
      throw new CairnError({
        code: 'INVALID_OPTIONS',
        backend: checkpointsBackend,
        message: `Codec "${codec.name}" has content type ${JSON.stringify(codec.contentType)}; give a media type in printable ASCII, e.g. "application/json".`,
      });
    }
    if (byName.has(codec.name)) {
      throw new CairnError({
        code: 'INVALID_OPTIONS',
        backend: checkpointsBackend,
        message: `Codec "${codec.name}" is given twice or replaces a built-in codec; sidecars name their codec, so each name must mean one encoding. Give your codec another name.`,
      });
    }
    byName.set(codec.name, codec);
  }
  const names = [...byName.keys()];
  return {
    names,
    resolve(name: string, checkpoint?: string): Codec {
      const codec = byName.get(name);
      if (codec !== undefined) return codec;
      throw new CairnError({
        code: 'UNSUPPORTED',
        backend: checkpointsBackend,
        message: `${checkpoint === undefined ? 'No' : `Checkpoint "${checkpoint}" was saved with codec "${name}", but there is no`} codec "${name}" in this checkpoint store (known: ${names.join(', ')}). Pass it in the store's \`codecs\` option.`,
        details: { codec: name, known: names, ...(checkpoint === undefined ? {} : { checkpoint }) },
      });
    },
  };
}

/**
 * Runs `codec.encode` and returns the bytes; a non-Cairn error from a custom codec becomes
 * `INVALID_OPTIONS` naming the codec.
 */
export function encodeState(codec: Codec, state: unknown): Uint8Array | string {
  let encoded: Uint8Array | string;
  try {
    encoded = codec.encode(state);
  } catch (error) {
    if (isCairnError(error)) throw error;
    throw new CairnError({
      code: 'INVALID_OPTIONS',
      backend: checkpointsBackend,
      message: `Codec "${codec.name}" could not encode the state: ${error instanceof Error ? error.message : String(error)}. Nothing was saved.`,
      cause: error,
    });
  }
  if (typeof encoded !== 'string' && !(encoded instanceof Uint8Array)) {
    throw new CairnError({
      code: 'INVALID_OPTIONS',
      backend: checkpointsBackend,
      message: `Codec "${codec.name}" returned ${describeType(encoded)} from encode; it must return a string or a Uint8Array. Nothing was saved.`,
    });
  }
  return encoded;
}

/**
 * Runs `codec.decode` on verified bytes. The bytes passed their digest, so a failure means the
 * codec does not match what was saved: `CORRUPT_DATA` naming the checkpoint and codec.
 */
export function decodeState(codec: Codec, bytes: Buffer, checkpoint: string): unknown {
  try {
    return codec.decode(bytes);
  } catch (error) {
    if (isCairnError(error)) throw error;
    throw new CairnError({
      code: 'CORRUPT_DATA',
      backend: checkpointsBackend,
      message: `Checkpoint "${checkpoint}" passed its digest check but codec "${codec.name}" could not decode it: ${error instanceof Error ? error.message : String(error)}. Check that the codec registered under that name is the one it was saved with.`,
      cause: error,
      details: { checkpoint, codec: codec.name },
    });
  }
}
