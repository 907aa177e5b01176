import type { MetadataAnswer, MetadataLookup, MetadataSource } from '../catalog/metadata-source.js';
import type { JsonValue } from '../checkpoints/json-value.js';
import { throwIfAborted } from './indexing-backend.js';
import { toJsonValue } from './json-metadata.js';
import { readSafetensorsHeader } from './safetensors-header.js';

/** The name the safetensors source reports. */
export const safetensorsSourceName = 'safetensors';

/** A whole number from a `__metadata__` string (`"1200"`), or undefined. */
function wholeNumber(value: unknown): number | undefined {
  if (typeof value !== 'string' || !/^\d{1,15}$/.test(value)) return undefined;
  return Number(value);
}

/**
 * Describes a `.safetensors` file from its JSON header alone: tensor count, tensors per dtype
 * and parameter count (`metadata.safetensors`), and the header's `__metadata__` entries as
 * metadata (the format keeps them as strings; `epoch` and `step`/`global_step` holding whole
 * numbers also give the answer's epoch and training step). Reads 8 bytes and then the header,
 * never the tensors. A truncated header, one that is not JSON, or a header length past the end
 * of the file or over 100 MiB is `unusable`.
 */
export function createSafetensorsSource(): MetadataSource {
  return {
    name: safetensorsSourceName,
    async lookup(subject): Promise<MetadataLookup> {
      const { payloadKey, storage, signal } = subject;
      throwIfAborted(signal, `Looking up "${payloadKey}" in the safetensors source`);
      if (!payloadKey.endsWith('.safetensors')) {
        return { status: 'not-found', reason: `"${payloadKey}" is not a .safetensors file` };
      }
      const read = await readSafetensorsHeader(storage, payloadKey, signal);
      if (read.status === 'missing') {
        return { status: 'not-found', reason: `there is no object at "${payloadKey}"` };
      }
      if (read.status === 'unusable') return read;
      const { summary } = read;
      const headerMetadata: Record<string, JsonValue> = {};
      for (const [name, value] of Object.entries(summary.metadata)) {
        const converted = toJsonValue(value);
        if (converted !== undefined) headerMetadata[name] = converted;
      }
      const epoch = wholeNumber(summary.metadata.epoch);
      const trainingStep =
        wholeNumber(summary.metadata.global_step) ?? wholeNumber(summary.metadata.step);
      const answer: MetadataAnswer = {
        metadata: {
          ...headerMetadata,
          safetensors: {
            tensorCount: summary.tensorCount,
            dtypes: { ...summary.dtypes },
            parameterCount: summary.parameterCount,
            headerBytes: summary.headerBytes,
          },
        },
        metrics: {},
        tags: ['safetensors'],
        ...(epoch === undefined ? {} : { epoch }),
        ...(trainingStep === undefined ? {} : { trainingStep }),
        origin: payloadKey,
      };
      return { status: 'found', answer };
    },
  };
}
