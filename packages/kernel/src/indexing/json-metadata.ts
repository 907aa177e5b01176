import { parseDocument } from 'yaml';
import type { JsonValue } from '../checkpoints/json-value.js';

/**
 * `value` as plain JSON that survives a round trip unchanged: what YAML or a tracker gives is
 * not always JSON (`.inf`, dates, big integers, objects with odd prototypes). Non-finite
 * numbers and bigints become strings, so nothing is silently lost; undefined and functions
 * are left out.
 */
export function toJsonValue(value: unknown, depth = 0): JsonValue | undefined {
  if (depth > 64) return '[nested too deep]';
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return value;
    case 'number':
      return Number.isFinite(value) ? value : String(value);
    case 'bigint':
      return value.toString();
    case 'undefined':
    case 'function':
    case 'symbol':
      return undefined;
  }
  if (value === null) return null;
  if (value instanceof Date)
    return Number.isNaN(value.getTime()) ? String(value) : value.toISOString();
  if (value instanceof Map) return toJsonValue(Object.fromEntries(value), depth);
  if (value instanceof Set) return toJsonValue([...value], depth);
  if (Array.isArray(value)) {
    return value.map((item) => toJsonValue(item, depth + 1) ?? null);
  }
  if (ArrayBuffer.isView(value)) return `[${value.byteLength} bytes]`;
  const result: Record<string, JsonValue> = {};
  for (const [key, entry] of Object.entries(value as Record<string, unknown>)) {
    const converted = toJsonValue(entry, depth + 1);
    if (converted !== undefined) result[key] = converted;
  }
  return result;
}

/**
 * Parses YAML as a metadata file holds it, into JSON. Tags it does not know (PyYAML's
 * `!!python/object`…) are read as the plain value beneath them.
 * @throws Error with the first parse error's message when it is not YAML.
 */
export function parseYamlToJson(text: string): JsonValue {
  const document = parseDocument(text, { logLevel: 'silent', uniqueKeys: false });
  const [first] = document.errors;
  if (first !== undefined) throw new Error(`not valid YAML (${first.message.split('\n')[0]})`);
  return toJsonValue(document.toJS({ maxAliasCount: 1000 })) ?? null;
}

/** Whether `value` is a plain JSON object (not an array, not null). */
export function isJsonObject(value: JsonValue | undefined): value is { [key: string]: JsonValue } {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
