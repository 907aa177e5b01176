import { createHash } from 'node:crypto';
import { canonicalJson } from '@cairn/kernel';

/**
 * Fields that do not change what a model answers, left out of the request hash: a request
 * that differs only in them is the same question (replay serves it).
 */
const ignoredFields = new Set([
  'stream',
  'stream_options',
  'user',
  'n_retries',
  'metadata',
  'store',
]);

/**
 * Hex SHA-256 of what decides a model's answer: the model and the request body (messages and
 * parameters), JSON with keys sorted, transport-only fields left out. Identical requests hash
 * alike in any key order; any change to messages or parameters changes the hash.
 */
export function requestHash(model: string, request: unknown): string {
  const body =
    request !== null && typeof request === 'object' && !Array.isArray(request)
      ? Object.fromEntries(
          Object.entries(request as Record<string, unknown>).filter(
            ([key]) => !ignoredFields.has(key) && key !== 'model',
          ),
        )
      : request;
  return createHash('sha256')
    .update(canonicalJson({ model, request: body }))
    .digest('hex');
}
