// One object version in one file: the content, then a JSON trailer with its MD5 and stored
// metadata, then a fixed footer giving the trailer's length. s3rver keeps the content, its MD5
// and its metadata in three files and rewrites them one after the other, so a reader could
// meet new bytes with an old ETag, or half-written bytes. Here a version is written to a
// temporary file and renamed over the old one, and a reader takes everything from the one
// file handle it opened: it sees a whole version with that version's ETag, as on S3.
import { createHash, randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, open, rename, rm } from 'node:fs/promises';
import { dirname } from 'node:path';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';

/** Marks the end of a file in this format, so a file in any other format is never misread. */
const footerMagic = Buffer.from('CRN1', 'ascii');
/** The trailer's byte length (UInt32BE), then the magic. */
const footerLength = 8;

/**
 * Writes one object version (content from a Buffer or a stream) to `path` atomically: into a
 * temporary file beside it, then renamed over it. Until the rename, readers see the previous
 * version; a failed or abandoned write leaves the previous version in place.
 *
 * @param {string} path
 * @param {Buffer | NodeJS.ReadableStream} content
 * @param {Record<string, string>} metadata what GET and HEAD answer with besides the facts
 * @returns {Promise<{ size: number, md5: string }>}
 */
export async function writeObjectFile(path, content, metadata) {
  const temporaryPath = `${path}.${randomBytes(8).toString('hex')}.tmp`;
  const md5 = createHash('md5');
  let size = 0;
  let digest = '';
  try {
    const file = await openForWriting(temporaryPath);
    await pipeline(
      Buffer.isBuffer(content) ? Readable.from([content]) : content,
      new Transform({
        transform(chunk, _encoding, callback) {
          md5.update(chunk);
          size += chunk.length;
          callback(null, chunk);
        },
        flush(callback) {
          digest = md5.digest('hex');
          callback(null, trailerOf({ md5: digest, metadata }));
        },
      }),
      file,
    );
    await rename(temporaryPath, path);
  } catch (error) {
    await rm(temporaryPath, { force: true });
    throw error;
  }
  return { size, md5: digest };
}

/**
 * Opens the version currently at `path` and reads its facts from the same handle, so later
 * renames cannot mix another version in. The caller owns the handle: read the content with
 * {@link contentStream} (which closes it) or close it.
 *
 * @param {string} path
 * @returns {Promise<{ handle: import('node:fs/promises').FileHandle, size: number, md5: string,
 *   metadata: Record<string, string>, lastModified: Date }>} rejects with ENOENT when absent
 */
export async function openObjectFile(path) {
  const handle = await open(path, 'r');
  try {
    const stat = await handle.stat();
    if (stat.size < footerLength) throw notAnObjectFile(path);
    const footer = await readExactly(handle, stat.size - footerLength, footerLength);
    if (!footer.subarray(4).equals(footerMagic)) throw notAnObjectFile(path);
    const trailerLength = footer.readUInt32BE(0);
    const size = stat.size - footerLength - trailerLength;
    if (size < 0) throw notAnObjectFile(path);
    const trailer = JSON.parse((await readExactly(handle, size, trailerLength)).toString('utf8'));
    return {
      handle,
      size,
      md5: trailer.md5,
      metadata: trailer.metadata,
      lastModified: stat.mtime,
    };
  } catch (error) {
    await handle.close();
    throw error;
  }
}

/** The facts of the version at `path`, without keeping it open. */
export async function readObjectFileFacts(path) {
  const { handle, ...facts } = await openObjectFile(path);
  await handle.close();
  return facts;
}

/**
 * A stream of content bytes `start` to `end` (inclusive) of an opened version; it closes the
 * handle when it ends or is destroyed. An empty range (`end < start`) gives an empty stream.
 *
 * @param {import('node:fs/promises').FileHandle} handle
 * @param {number} start
 * @param {number} end
 */
export function contentStream(handle, start, end) {
  if (end < start) {
    handle.close().catch(() => undefined);
    return Readable.from([]);
  }
  return handle.createReadStream({ start, end });
}

function trailerOf(trailer) {
  const json = Buffer.from(JSON.stringify(trailer), 'utf8');
  const footer = Buffer.alloc(footerLength);
  footer.writeUInt32BE(json.length, 0);
  footerMagic.copy(footer, 4);
  return Buffer.concat([json, footer]);
}

async function openForWriting(path) {
  // A concurrent delete may remove an emptied parent directory at any moment: recreate it.
  for (let attempt = 1; ; attempt += 1) {
    await mkdir(dirname(path), { recursive: true });
    const stream = createWriteStream(path, { flags: 'wx' });
    try {
      await new Promise((resolve, reject) => {
        stream.once('open', resolve);
        stream.once('error', reject);
      });
      return stream;
    } catch (error) {
      if (error?.code !== 'ENOENT' || attempt >= 5) throw error;
    }
  }
}

async function readExactly(handle, position, length) {
  const buffer = Buffer.alloc(length);
  let filled = 0;
  while (filled < length) {
    const { bytesRead } = await handle.read(buffer, filled, length - filled, position + filled);
    if (bytesRead === 0) throw new Error('the object file ended early');
    filled += bytesRead;
  }
  return buffer;
}

function notAnObjectFile(path) {
  return new Error(`${path} is not an object file written by this server`);
}
