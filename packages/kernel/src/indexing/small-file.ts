import { isCairnError } from '../errors/cairn-error.js';
import type { ObjectInfo, Storage } from '../storage/storage.js';

/** Largest YAML file a source reads (Hydra's `hydra.yaml` is a few KiB; hparams rarely more). */
export const maxYamlBytes = 1024 * 1024;
/** Largest `metrics.csv` a source reads: long runs log many rows, but never gigabytes. */
export const maxCsvBytes = 32 * 1024 * 1024;
/** Largest legacy master file a source reads. */
export const maxMasterFileBytes = 16 * 1024 * 1024;

/** What reading a small neighbouring file found. */
export type SmallFileRead =
  | { readonly status: 'found'; readonly text: string; readonly info: ObjectInfo }
  | { readonly status: 'missing' }
  | { readonly status: 'unusable'; readonly reason: string };

/**
 * Reads a small text file beside a checkpoint, refusing more than `maxBytes` (a file that big
 * is not the metadata file it is named like, and reading it would cost what `index` promises
 * not to spend) and bytes that are not UTF-8. Stops reading at the cap instead of trusting the
 * size the listing reported.
 */
export async function readSmallFile(
  storage: Storage,
  key: string,
  maxBytes: number,
  signal: AbortSignal | undefined,
): Promise<SmallFileRead> {
  let opened: Awaited<ReturnType<Storage['get']>>;
  try {
    opened = await storage.get(key, signal === undefined ? {} : { signal });
  } catch (error) {
    if (isCairnError(error, 'NOT_FOUND')) return { status: 'missing' };
    throw error;
  }
  const { info, body } = opened;
  const tooBig = {
    status: 'unusable',
    reason: `"${key}" is larger than ${maxBytes} bytes, too large for the small file it should be`,
  } as const;
  if (info.size > maxBytes) {
    body.destroy();
    return tooBig;
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body) {
    const bytes = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk as Uint8Array);
    size += bytes.length;
    if (size > maxBytes) {
      body.destroy();
      return tooBig;
    }
    chunks.push(bytes);
  }
  try {
    const text = new TextDecoder('utf-8', { fatal: true }).decode(Buffer.concat(chunks));
    return { status: 'found', text: text.replace(/^\uFEFF/, ''), info };
  } catch {
    return { status: 'unusable', reason: `"${key}" is not UTF-8 text` };
  }
}

/** The parsed content of a small file, or why it cannot be used. */
export type ParsedFile<Value> =
  | { readonly status: 'found'; readonly value: Value; readonly info: ObjectInfo }
  | { readonly status: 'missing' }
  | { readonly status: 'unusable'; readonly reason: string };

/**
 * Reads and parses small files, remembering each parse by key and etag: a folder of a hundred
 * checkpoints shares one `metrics.csv`, and parsing it a hundred times would read it a hundred
 * times. A `head` per use checks the file has not changed. Keeps the newest `capacity` files.
 */
export interface SmallFileCache {
  /** The parsed file, from memory when its etag has not changed. */
  read<Value>(
    storage: Storage,
    key: string,
    maxBytes: number,
    parse: (text: string) => Value,
    signal: AbortSignal | undefined,
  ): Promise<ParsedFile<Value>>;
}

/** A {@link SmallFileCache} for one source. */
export function createSmallFileCache(capacity = 32): SmallFileCache {
  const byStorage = new WeakMap<Storage, Map<string, { etag: string; parsed: unknown }>>();
  return {
    async read(storage, key, maxBytes, parse, signal) {
      let entries = byStorage.get(storage);
      if (entries === undefined) {
        entries = new Map();
        byStorage.set(storage, entries);
      }
      const info = await storage.head(key);
      if (info === undefined) return { status: 'missing' };
      const known = entries.get(key);
      if (known !== undefined && known.etag === info.etag) {
        return known.parsed as ParsedFile<ReturnType<typeof parse>>;
      }
      const read = await readSmallFile(storage, key, maxBytes, signal);
      let parsed: ParsedFile<ReturnType<typeof parse>>;
      if (read.status !== 'found') parsed = read;
      else {
        try {
          parsed = { status: 'found', value: parse(read.text), info: read.info };
        } catch (error) {
          const why = error instanceof Error ? error.message.split('\n')[0] : String(error);
          parsed = { status: 'unusable', reason: `"${key}" cannot be parsed: ${why}` };
        }
      }
      if (read.status !== 'missing') {
        entries.delete(key);
        entries.set(key, { etag: read.status === 'found' ? read.info.etag : info.etag, parsed });
        if (entries.size > capacity) {
          const oldest = entries.keys().next().value;
          if (oldest !== undefined) entries.delete(oldest);
        }
      }
      return parsed;
    },
  };
}
