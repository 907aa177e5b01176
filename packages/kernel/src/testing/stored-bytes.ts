import { readAll } from '../storage/body.js';
import type { Storage } from '../storage/storage.js';

/**
 * Every stored object: its key, content type, metadata and bytes, for tests that prove a
 * value (a canary secret) appears nowhere in a storage.
 */
export async function everyStoredByte(storage: Storage): Promise<Map<string, Buffer>> {
  const contents = new Map<string, Buffer>();
  for await (const info of storage.list()) {
    const { body, info: full } = await storage.get(info.key);
    const metadata = Object.entries(full.metadata ?? {})
      .flat()
      .join('\n');
    contents.set(
      info.key,
      Buffer.concat([
        Buffer.from(`${info.key}\n${full.contentType ?? ''}\n${metadata}\n`),
        await readAll(body),
      ]),
    );
  }
  return contents;
}
