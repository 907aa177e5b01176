import type { FileHandle } from 'node:fs/promises';
import { type FileSystem, nodeFileSystem } from '../file-system.js';

/** A Node-style system error, as `node:fs` raises them. */
export function systemError(code: string, syscall = 'write'): NodeJS.ErrnoException {
  return Object.assign(new Error(`${code}: injected failure, ${syscall}`), { code, syscall });
}

/** Which calls fail, and how. */
export interface Faults {
  /** Fails `handle.write` on files opened for writing once this many bytes were written. */
  readonly writeFailsAfterBytes?: { readonly bytes: number; readonly code: string };
  /**
   * Fails these `fs/promises` functions when `when(path, secondPath)` holds (every call by
   * default); `secondPath` is a rename's or link's destination.
   */
  readonly calls?: Partial<
    Record<
      keyof FileSystem,
      { readonly code: string; readonly when?: (path: string, secondPath: string) => boolean }
    >
  >;
  /** Fails `handle.read` with this code. */
  readonly readFails?: { readonly code: string };
}

function wrapHandle(handle: FileHandle, faults: Faults, writable: boolean): FileHandle {
  let written = 0;
  return new Proxy(handle, {
    get(target, property, receiver) {
      if (property === 'write' && writable && faults.writeFailsAfterBytes) {
        const limit = faults.writeFailsAfterBytes;
        return async (
          buffer: Buffer,
          offset = 0,
          length = buffer.length - offset,
          position?: number,
        ) => {
          if (written + length > limit.bytes) throw systemError(limit.code, 'write');
          written += length;
          return target.write(buffer, offset, length, position);
        };
      }
      if (property === 'read' && faults.readFails) {
        const code = faults.readFails.code;
        return async () => {
          throw systemError(code, 'read');
        };
      }
      const value = Reflect.get(target, property, receiver);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}

/**
 * The real file system with injected failures: a full disk at the write step, a permission
 * error at a rename, too many open files… Everything not named works as usual.
 */
export function faultyFileSystem(faults: Faults): FileSystem {
  const wrapped: Record<string, unknown> = {};
  for (const [name, implementation] of Object.entries(nodeFileSystem)) {
    const fault = faults.calls?.[name as keyof FileSystem];
    wrapped[name] = async (...parameters: unknown[]) => {
      const path = String(parameters[0]);
      if (fault && (fault.when?.(path, String(parameters[1])) ?? true))
        throw systemError(fault.code, name);
      const result = await (implementation as (...values: unknown[]) => Promise<unknown>)(
        ...parameters,
      );
      if (name !== 'open') return result;
      const flags = parameters[1];
      const writable = typeof flags === 'string' && flags.includes('w');
      return wrapHandle(result as FileHandle, faults, writable);
    };
  }
  return wrapped as unknown as FileSystem;
}
