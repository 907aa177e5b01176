import type { Readable } from 'node:stream';
import type { Storage } from '../storage/storage.js';

/** Largest safetensors header read (the format's own reference reader refuses more). */
export const maxSafetensorsHeaderBytes = 100 * 1024 * 1024;

/** What a safetensors header says, without any tensor bytes. */
export interface SafetensorsSummary {
  /** Number of tensors. */
  readonly tensorCount: number;
  /** Tensors per dtype (`F32: 120`). */
  readonly dtypes: Readonly<Record<string, number>>;
  /** Sum over tensors of the product of their shape. */
  readonly parameterCount: number;
  /** The header's `__metadata__` (string to string, by the format). */
  readonly metadata: Readonly<Record<string, unknown>>;
  /** Header length in bytes, as the file's first 8 bytes say. */
  readonly headerBytes: number;
}

/** The outcome of reading a header. */
export type SafetensorsRead =
  | { readonly status: 'found'; readonly summary: SafetensorsSummary }
  | { readonly status: 'missing' }
  | { readonly status: 'unusable'; readonly reason: string };

/** Reads exactly `count` bytes from a stream (fewer when it ends first), then lets it go. */
async function readUpTo(body: Readable, count: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  try {
    for await (const chunk of body) {
      const bytes = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk as Uint8Array);
      chunks.push(bytes);
      size += bytes.length;
      if (size >= count) break;
    }
  } finally {
    body.destroy();
  }
  return Buffer.concat(chunks).subarray(0, count);
}

/**
 * Reads the first 8 bytes of a safetensors file (a little-endian u64 header length N) and then
 * bytes 8 to 8+N-1 (the JSON header), with ranged reads when the storage has them and
 * otherwise from the start of one stream destroyed right after the header: never the tensors.
 */
export async function readSafetensorsHeader(
  storage: Storage,
  key: string,
  signal: AbortSignal | undefined,
): Promise<SafetensorsRead> {
  const ranged = storage.capabilities.rangedReads;
  const signalOption = signal === undefined ? {} : { signal };
  let first: Awaited<ReturnType<Storage['get']>>;
  try {
    first = await storage.get(
      key,
      ranged ? { range: { start: 0, end: 7 }, ...signalOption } : signalOption,
    );
  } catch (error) {
    if ((error as { code?: unknown }).code === 'NOT_FOUND') return { status: 'missing' };
    throw error;
  }
  const fileSize = first.info.size;
  if (fileSize < 8) {
    first.body.destroy();
    return {
      status: 'unusable',
      reason: `"${key}" has ${fileSize} bytes, fewer than the 8 of a safetensors header length`,
    };
  }
  // Without ranged reads the one stream goes on: the header follows the 8 bytes read here.
  const streamed = ranged ? undefined : first.body;
  const prefix = ranged ? await readUpTo(first.body, 8) : await readPrefix(first.body, 8);
  if (prefix.length < 8) {
    streamed?.destroy();
    return { status: 'unusable', reason: `"${key}" ended before its 8-byte header length` };
  }
  const declared = prefix.readBigUInt64LE(0);
  if (declared > BigInt(maxSafetensorsHeaderBytes)) {
    streamed?.destroy();
    return {
      status: 'unusable',
      reason: `"${key}" declares a ${declared}-byte header, more than the ${maxSafetensorsHeaderBytes} allowed`,
    };
  }
  const headerBytes = Number(declared);
  if (headerBytes === 0 || 8 + headerBytes > fileSize) {
    streamed?.destroy();
    return {
      status: 'unusable',
      reason: `"${key}" declares a ${headerBytes}-byte header, which ${headerBytes === 0 ? 'is empty' : `runs past the end of the file (${fileSize} bytes)`}`,
    };
  }
  let header: Buffer;
  if (streamed !== undefined) header = await readUpTo(streamed, headerBytes);
  else {
    const second = await storage.get(key, {
      range: { start: 8, end: 8 + headerBytes - 1 },
      ...signalOption,
    });
    header = await readUpTo(second.body, headerBytes);
  }
  if (header.length < headerBytes) {
    return { status: 'unusable', reason: `"${key}" ended inside its ${headerBytes}-byte header` };
  }
  return summarise(key, header, headerBytes);
}

/**
 * The first `count` bytes of a stream, leaving the rest readable: what is read past them is
 * pushed back with `unshift`.
 */
async function readPrefix(body: Readable, count: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body.iterator({ destroyOnReturn: false })) {
    const bytes = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk as Uint8Array);
    chunks.push(bytes);
    size += bytes.length;
    if (size >= count) break;
  }
  const all = Buffer.concat(chunks);
  if (all.length > count) body.unshift(all.subarray(count));
  return all.subarray(0, count);
}

function summarise(key: string, header: Buffer, headerBytes: number): SafetensorsRead {
  let parsed: unknown;
  try {
    parsed = JSON.parse(header.toString('utf8'));
  } catch (error) {
    const why = error instanceof Error ? error.message : String(error);
    return { status: 'unusable', reason: `"${key}" has a header that is not valid JSON (${why})` };
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    return { status: 'unusable', reason: `"${key}" has a header that is not a JSON object` };
  }
  const dtypes: Record<string, number> = {};
  let tensorCount = 0;
  let parameterCount = 0;
  let metadata: Record<string, unknown> = {};
  for (const [name, entry] of Object.entries(parsed as Record<string, unknown>)) {
    if (name === '__metadata__') {
      if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) {
        return { status: 'unusable', reason: `"${key}" has a __metadata__ that is not an object` };
      }
      metadata = entry as Record<string, unknown>;
      continue;
    }
    const tensor = entry as { dtype?: unknown; shape?: unknown };
    const shape = tensor?.shape;
    if (
      typeof tensor?.dtype !== 'string' ||
      !Array.isArray(shape) ||
      !shape.every((dimension) => Number.isSafeInteger(dimension) && dimension >= 0)
    ) {
      return {
        status: 'unusable',
        reason: `"${key}" has a header entry "${name}" without a dtype and a shape of whole numbers`,
      };
    }
    tensorCount++;
    dtypes[tensor.dtype] = (dtypes[tensor.dtype] ?? 0) + 1;
    parameterCount += (shape as number[]).reduce((product, dimension) => product * dimension, 1);
  }
  return {
    status: 'found',
    summary: { tensorCount, dtypes, parameterCount, metadata, headerBytes },
  };
}
