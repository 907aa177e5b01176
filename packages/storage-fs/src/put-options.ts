import { CairnError, type PutOptions } from '@cairn/kernel';
import { fsStorageName } from './fs-storage-options.js';

const metadataName = /^[a-z0-9-]+$/;
const maxMetadataBytes = 8 * 1024;

function invalidPutOption(key: string, problem: string): CairnError {
  return new CairnError({
    code: 'INVALID_OPTIONS',
    backend: fsStorageName,
    message: `Invalid put options for "${key}": ${problem}.`,
    details: { key, problem },
  });
}

/** Checks what the contract asks of put options before any byte is read. */
export function checkPutOptions(key: string, options: PutOptions): void {
  if (options.ifNoneMatch !== undefined && options.ifNoneMatch !== '*')
    throw invalidPutOption(
      key,
      `ifNoneMatch must be "*", not ${JSON.stringify(options.ifNoneMatch)}`,
    );
  if (options.ifMatch !== undefined && typeof options.ifMatch !== 'string')
    throw invalidPutOption(key, 'ifMatch must be an etag string returned by head, get or put');
  if (options.expectedSha256 !== undefined && !/^[0-9a-fA-F]{64}$/.test(options.expectedSha256))
    throw invalidPutOption(key, 'expectedSha256 must be 64 hexadecimal digits');
  if (options.contentType !== undefined && typeof options.contentType !== 'string')
    throw invalidPutOption(key, 'contentType must be a string such as "application/json"');
  if (options.metadata !== undefined) {
    let bytes = 0;
    for (const [name, value] of Object.entries(options.metadata)) {
      if (!metadataName.test(name))
        throw invalidPutOption(
          key,
          `metadata name ${JSON.stringify(name)} must be lowercase [a-z0-9-]`,
        );
      if (typeof value !== 'string')
        throw invalidPutOption(key, `metadata "${name}" must be a string`);
      bytes += Buffer.byteLength(name) + Buffer.byteLength(value);
    }
    if (bytes > maxMetadataBytes)
      throw invalidPutOption(
        key,
        `metadata holds ${bytes} bytes; keep it under ${maxMetadataBytes} (store larger data as its own object)`,
      );
  }
}
