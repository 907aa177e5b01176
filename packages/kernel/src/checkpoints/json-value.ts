import { CairnError } from '../errors/cairn-error.js';
import { checkpointsBackend } from './checkpoints-backend.js';

/** A value that survives a JSON round trip unchanged. */
export type JsonValue =
  | string
  | number
  | boolean
  | null
  | readonly JsonValue[]
  | { readonly [key: string]: JsonValue };

/**
 * Why `value` would not come back unchanged from `JSON.parse(JSON.stringify(value))`, with the
 * path of the first offending part (`state.items[3].score`), or undefined when it would.
 *
 * Refused: `undefined`, functions, symbols, bigints, non-finite numbers, cycles, sparse arrays
 * and objects that are not plain (Date, Map, class instances): JSON would drop them, turn them
 * into `null` or strings, or throw.
 */
export function findJsonProblem(value: unknown, root: string): string | undefined {
  return walk(value, root, new Set());
}

function walk(value: unknown, path: string, ancestors: Set<object>): string | undefined {
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return undefined;
    case 'number':
      return Number.isFinite(value) ? undefined : `${path} is ${value}, which JSON cannot hold`;
    case 'undefined':
      return `${path} is undefined`;
    case 'bigint':
      return `${path} is a bigint; store it as a string`;
    case 'function':
      return `${path} is a function`;
    case 'symbol':
      return `${path} is a symbol`;
  }
  if (value === null) return undefined;
  const object = value as object;
  if (ancestors.has(object)) return `${path} refers back to one of its own parents (a cycle)`;
  ancestors.add(object);
  try {
    if (Array.isArray(object)) {
      for (let index = 0; index < object.length; index++) {
        if (!(index in object)) return `${path}[${index}] is a hole in a sparse array`;
        const problem = walk(object[index], `${path}[${index}]`, ancestors);
        if (problem !== undefined) return problem;
      }
      return undefined;
    }
    const prototype = Object.getPrototypeOf(object);
    if (prototype !== Object.prototype && prototype !== null) {
      const kind = (object.constructor as { name?: string } | undefined)?.name ?? 'unknown';
      return `${path} is a ${kind}, not a plain object; convert it to plain JSON first`;
    }
    for (const [key, entry] of Object.entries(object)) {
      const problem = walk(entry, `${path}${formatKey(key)}`, ancestors);
      if (problem !== undefined) return problem;
    }
    return undefined;
  } finally {
    ancestors.delete(object);
  }
}

function formatKey(key: string): string {
  return /^[A-Za-z_$][A-Za-z0-9_$]*$/.test(key) ? `.${key}` : `[${JSON.stringify(key)}]`;
}

/**
 * Checks that `value` is JSON.
 * @throws CairnError `INVALID_OPTIONS` naming the path of the first part that is not.
 */
export function assertJsonValue(value: unknown, root: string, advice: string): void {
  const problem = findJsonProblem(value, root);
  if (problem === undefined) return;
  throw new CairnError({
    code: 'INVALID_OPTIONS',
    backend: checkpointsBackend,
    message: `${problem}. ${advice}`,
    details: { problem },
  });
}
