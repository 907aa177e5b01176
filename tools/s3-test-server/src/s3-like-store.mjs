// s3rver's FilesystemStore with the object operations replaced where s3rver deviates from S3's
// documented behaviour. Each override imitates S3 because s3rver lacks it:
// - overwrites are atomic and a reader's ETag and length belong to the bytes it reads
//   (see object-file.mjs), for PutObject, CopyObject and CompleteMultipartUpload alike;
// - a range ending at byte 0 (`bytes=0-0`) returns that one byte, not the whole object;
// - listings are in UTF-8 byte order with common prefixes counted toward MaxKeys
//   (see list-page.mjs);
// - multipart uploads can be aborted, and an unknown upload id is NoSuchUpload.
// Buckets, subresources (tagging, CORS, website) and part uploads stay s3rver's own.
import { readdir, readFile, rm, rmdir, stat, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import S3Error from 's3rver/lib/models/error.js';
import S3Object from 's3rver/lib/models/object.js';
import FilesystemStore from 's3rver/lib/stores/filesystem.js';
import { selectListPage, sortKeys } from './list-page.mjs';
import {
  contentStream,
  openObjectFile,
  readObjectFileFacts,
  writeObjectFile,
} from './object-file.mjs';

/** s3rver's file name suffix for an object's content; the key's last segment comes before it. */
const objectSuffix = '._S3rver_object';
/** s3rver's directory of multipart uploads inside a bucket. */
const uploadsDirectory = '._S3rver_uploads';
/** s3rver makes upload ids of hex digits; anything else could name a path outside the uploads. */
const uploadIdPattern = /^[0-9a-f]+$/;

/** A FilesystemStore whose object operations behave as S3's do (see the file comment). */
export class S3LikeStore extends FilesystemStore {
  /** What GET, HEAD, list and the conditional-writes check answer for an object. */
  async getMetadata(bucket, key) {
    const facts = await readObjectFileFacts(this.getResourcePath(bucket, key, 'object'));
    return factsToMetadata(facts);
  }

  async existsObject(bucket, key) {
    try {
      await stat(this.getResourcePath(bucket, key, 'object'));
      return true;
    } catch (error) {
      if (error.code === 'ENOENT') return false;
      throw error;
    }
  }

  async getObject(bucket, key, options = {}) {
    let opened;
    try {
      opened = await openObjectFile(this.getResourcePath(bucket, key, 'object'));
    } catch (error) {
      if (error.code === 'ENOENT') return null;
      throw error;
    }
    const metadata = factsToMetadata(opened);
    const range = rangeOf(options, opened.size);
    if (range === 'unsatisfiable') {
      await opened.handle.close();
      // s3rver's controller answers InvalidRange for an object with a range and no content.
      const object = new S3Object(bucket, key, null, metadata);
      object.range = { start: options.start, end: options.end };
      return object;
    }
    const object = new S3Object(
      bucket,
      key,
      contentStream(opened.handle, range?.start ?? 0, range?.end ?? opened.size - 1),
      metadata,
    );
    if (range !== undefined) object.range = range;
    return object;
  }

  async putObject(object) {
    const path = this.getResourcePath(object.bucket, object.key, 'object');
    return writeObjectFile(path, object.content, storedMetadataOf(object.metadata));
  }

  async copyObject(sourceBucket, sourceKey, bucket, key, replacementMetadata) {
    const source = await openObjectFile(this.getResourcePath(sourceBucket, sourceKey, 'object'));
    const metadata = replacementMetadata
      ? storedMetadataOf(new S3Object(bucket, key, null, replacementMetadata).metadata)
      : source.metadata;
    const { md5, size } = await writeObjectFile(
      this.getResourcePath(bucket, key, 'object'),
      contentStream(source.handle, 0, source.size - 1),
      metadata,
    );
    return factsToMetadata({ md5, size, metadata, lastModified: new Date() });
  }

  async deleteObject(bucket, key) {
    for (const resource of ['object', 'tagging.xml']) {
      await unlink(this.getResourcePath(bucket, key, resource)).catch((error) => {
        if (error.code !== 'ENOENT') throw error;
      });
    }
    // Remove the directories the key emptied; a concurrent put may fill or remove one first.
    const segments = key.split('/').slice(0, -1);
    for (; segments.length > 0; segments.pop()) {
      try {
        await rmdir(join(this.getBucketPath(bucket), ...segments));
      } catch (error) {
        if (error.code === 'ENOENT') continue;
        if (error.code === 'ENOTEMPTY' || error.code === 'EEXIST') break;
        throw error;
      }
    }
  }

  /**
   * One page of keys under `prefix`, in UTF-8 byte order, after `startAfter` (a key or a common
   * prefix), with common prefixes counted toward `maxKeys`.
   */
  async listObjects(bucket, options) {
    const prefix = options.prefix ?? '';
    const page = selectListPage(await this.keysUnder(bucket, prefix), {
      prefix,
      delimiter: options.delimiter ?? '',
      after: options.startAfter ?? '',
      maxKeys: options.maxKeys ?? Number.POSITIVE_INFINITY,
    });
    const described = await Promise.all(
      page.keys.map((key) =>
        this.getMetadata(bucket, key).then(
          (metadata) => new S3Object(bucket, key, null, metadata),
          (error) => {
            // Deleted since the directories were read: S3 would not list it either.
            if (error.code === 'ENOENT') return undefined;
            throw error;
          },
        ),
      ),
    );
    return {
      objects: described.filter((object) => object !== undefined),
      commonPrefixes: page.commonPrefixes,
      isTruncated: page.isTruncated,
      lastEntry: page.lastEntry,
    };
  }

  /** Every key starting with `prefix`, in S3's order. */
  async keysUnder(bucket, prefix) {
    const bucketPath = this.getBucketPath(bucket);
    const keys = [];
    const visit = async (directory, keyPrefix) => {
      let entries;
      try {
        entries = await readdir(directory, { withFileTypes: true });
      } catch (error) {
        if (error.code === 'ENOENT' || error.code === 'ENOTDIR') return;
        throw error;
      }
      for (const entry of entries) {
        if (entry.isDirectory()) {
          if (keyPrefix === '' && entry.name === uploadsDirectory) continue;
          const below = `${keyPrefix}${FilesystemStore.decodeKeyPath(entry.name)}/`;
          // Only folders that can hold a key starting with the prefix are worth reading.
          if (below.startsWith(prefix) || prefix.startsWith(below)) {
            await visit(join(directory, entry.name), below);
          }
        } else if (entry.name.endsWith(objectSuffix)) {
          const name = entry.name.slice(0, -objectSuffix.length);
          const key = `${keyPrefix}${FilesystemStore.decodeKeyPath(name)}`;
          if (key.startsWith(prefix)) keys.push(key);
        }
      }
    };
    await visit(bucketPath, '');
    return sortKeys(keys);
  }

  async putPart(bucket, uploadId, partNumber, content) {
    await this.uploadOf(bucket, uploadId);
    return super.putPart(bucket, uploadId, partNumber, content);
  }

  /** Assembles the parts through {@link putObject}, so completion is as atomic as a put. */
  async putObjectMultipart(bucket, uploadId, parts) {
    const upload = await this.uploadOf(bucket, uploadId);
    for (const part of parts) {
      const partPath = join(upload.directory, String(part.number));
      const md5 = await readFile(`${partPath}.md5`, 'utf8').catch(() => undefined);
      if (md5 === undefined || md5 !== part.etag) {
        throw new S3Error(
          'InvalidPart',
          'One or more of the specified parts could not be found. The part may not have been uploaded, or the specified entity tag may not match the part\u2019s entity tag.',
          { UploadId: uploadId, PartNumber: part.number, ETag: part.etag },
        );
      }
    }
    return super.putObjectMultipart(bucket, uploadId, parts);
  }

  /** Removes an upload and its parts; NoSuchUpload unless it exists and is for `key`. */
  async abortUpload(bucket, key, uploadId) {
    const upload = await this.uploadOf(bucket, uploadId);
    if (upload.key !== key) throw noSuchUpload(uploadId);
    await rm(upload.directory, { recursive: true, force: true });
  }

  /** The upload's directory and key; NoSuchUpload when it was never started, or is over. */
  async uploadOf(bucket, uploadId) {
    const id = String(uploadId ?? '');
    if (!uploadIdPattern.test(id)) throw noSuchUpload(id);
    const directory = join(this.getResourcePath(bucket, undefined, 'uploads'), id);
    try {
      return { directory, key: await readFile(join(directory, 'key'), 'utf8') };
    } catch (error) {
      if (error.code === 'ENOENT') throw noSuchUpload(id);
      throw error;
    }
  }
}

/** The metadata s3rver keeps with an object: the allowed headers and the user metadata. */
function storedMetadataOf(metadata) {
  const stored = {};
  for (const [name, value] of Object.entries(metadata)) {
    if (S3Object.ALLOWED_METADATA.includes(name) || name.startsWith('x-amz-meta-')) {
      stored[name] = value;
    }
  }
  return stored;
}

function factsToMetadata({ md5, size, metadata, lastModified }) {
  return {
    ...metadata,
    etag: JSON.stringify(md5),
    'last-modified': lastModified.toUTCString(),
    'content-length': size,
  };
}

/**
 * The inclusive byte range S3 would serve for s3rver's parsed `Range` (start, optional end), or
 * undefined for the whole object. S3 clamps an end past the last byte, and answers 416 when the
 * first byte is past the end. A range s3rver could not parse as numbers, or one ending before
 * it starts, is ignored, as S3 ignores a malformed Range header (RFC 9110).
 */
function rangeOf(options, size) {
  if (options.start === undefined && options.end === undefined) return undefined;
  const start = options.start ?? 0;
  const end = options.end ?? Number.POSITIVE_INFINITY;
  const isWellFormed =
    Number.isInteger(start) &&
    (Number.isInteger(end) || end === Number.POSITIVE_INFINITY) &&
    end >= start;
  if (!isWellFormed) return undefined;
  if (start >= size) return 'unsatisfiable';
  return { start, end: Math.min(end, size - 1) };
}

function noSuchUpload(uploadId) {
  return new S3Error(
    'NoSuchUpload',
    'The specified upload does not exist. The upload ID may be invalid, or the upload may have been aborted or completed.',
    { UploadId: uploadId },
  );
}
