import type { Readable } from 'node:stream';
import type { maxMetadataBytes, maxUserMetadataBytes } from './put-options.js';

/**
 * What can be written: bytes, a string (stored as UTF-8), or a stream of any size. Streams
 * are consumed once and never buffered whole by a conforming backend.
 */
export type StorageBody =
  | Uint8Array
  | string
  | Readable
  | ReadableStream<Uint8Array>
  | AsyncIterable<Uint8Array>;

/** What a backend can do; the kernel checks these instead of guessing. */
export interface StorageCapabilities {
  /**
   * `ifNoneMatch: '*'` and `ifMatch: etag` are honoured atomically. Without it, the kernel
   * refuses multi-writer operations (version allocation, aliases) with `UNSUPPORTED`.
   */
  readonly conditionalWrites: boolean;
  /** `get` honours `range`. */
  readonly rangedReads: boolean;
  /**
   * `head` and `get` report the SHA-256 recorded at `put` time (`put` always returns it).
   * Listings may leave it out: S3 cannot list digests, and reading a record per key would make
   * listing slow.
   */
  readonly sha256: boolean;
  /** `put` replaces an object atomically: readers see the old or the new bytes, never a mix. */
  readonly atomicPut: boolean;
  /** Longest key in UTF-8 bytes, when tighter than the kernel's 1024. */
  readonly maxKeyBytes?: number;
}

/** Facts about one stored object. */
export interface ObjectInfo {
  /** The object's key. */
  readonly key: string;
  /** Size in bytes. */
  readonly size: number;
  /**
   * An opaque version tag that changes whenever the object is replaced; pass it to
   * `ifMatch` to replace only what was read. Compare as an opaque string.
   */
  readonly etag: string;
  /** When the object was last written. */
  readonly lastModified: Date;
  /** Hex SHA-256 of the content, when the backend recorded it (see `capabilities.sha256`). */
  readonly sha256?: string;
  /** Media type given at `put`, when the backend keeps it. */
  readonly contentType?: string;
  /** String metadata given at `put`, when the backend keeps it (`head`/`get` only). */
  readonly metadata?: Readonly<Record<string, string>>;
}

/** Options for {@link Storage.put}. */
export interface PutOptions {
  /** `'*'`: create only if no object exists at the key; else `PRECONDITION_FAILED`. */
  readonly ifNoneMatch?: '*';
  /** Replace only if the current etag equals this; else `PRECONDITION_FAILED`. */
  readonly ifMatch?: string;
  /** Media type to store with the object. */
  readonly contentType?: string;
  /**
   * Small string metadata: names lowercase `[a-z0-9-]`, values printable ASCII, at most
   * {@link maxUserMetadataBytes} from the caller and {@link maxMetadataBytes} (2 KiB, S3's limit)
   * with Cairn's own `cairn-` entries, as every backend checks with `validatePutOptions`.
   */
  readonly metadata?: Readonly<Record<string, string>>;
  /**
   * The SHA-256 the caller expects. The backend computes the digest while writing and, on a
   * mismatch, discards the write and throws `CORRUPT_DATA`: nothing half-written is visible.
   */
  readonly expectedSha256?: string;
  /** Cancels the write; nothing becomes visible. */
  readonly signal?: AbortSignal;
}

/** Options for {@link Storage.get}. */
export interface GetOptions {
  /** Byte range, both ends inclusive; needs `capabilities.rangedReads`. */
  readonly range?: { readonly start: number; readonly end?: number };
  /** Cancels the read; the body stream errors with `ABORTED`. */
  readonly signal?: AbortSignal;
}

/** An object being read. */
export interface GetResult {
  /** Facts about the object as of the moment the read started. */
  readonly info: ObjectInfo;
  /**
   * The content. Consume it or `destroy()` it: an abandoned stream holds a file handle or a
   * connection until garbage collection.
   */
  readonly body: Readable;
}

/** Options for {@link Storage.list} and {@link Storage.listPage}. */
export interface ListOptions {
  /** Only keys starting with this string (may end mid-segment). */
  readonly prefix?: string;
  /** Only keys sorting strictly after this one. */
  readonly startAfter?: string;
  /** Largest page to fetch at a time; backends may return fewer. Default 1000. */
  readonly pageSize?: number;
  /** Cancels the listing. */
  readonly signal?: AbortSignal;
}

/** Options for {@link Storage.listPage}. */
export interface ListPageOptions extends ListOptions {
  /** The `cursor` of the previous page; omit for the first page. */
  readonly cursor?: string;
  /**
   * Group keys by this separator after the prefix (only `/` is supported): keys below the
   * next separator are reported once in `prefixes` instead of one by one in `objects`.
   */
  readonly delimiter?: '/';
  /**
   * With a delimiter: the caller accepts folders that hold no object (it reads what it needs
   * from each folder anyway). A backend with real folders (the file system) then reports every
   * folder from one directory read instead of opening each one to hide the empty ones; object
   * stores never have empty folders and ignore it.
   */
  readonly allowEmptyFolders?: boolean;
}

/** One page of a listing. */
export interface ListPage {
  /** Objects in this page, sorted by {@link compareKeys} (UTF-8 byte order). */
  readonly objects: readonly ObjectInfo[];
  /** With a delimiter: the "folders" in this page, each ending with the delimiter, sorted. */
  readonly prefixes: readonly string[];
  /** Pass to the next call to continue; undefined on the last page. */
  readonly cursor?: string;
}

/** Options for {@link Storage.delete}. */
export interface DeleteOptions {
  /** Cancels the delete. */
  readonly signal?: AbortSignal;
}

/**
 * A blob store: the one contract every backend (memory, fs, S3, mirrored) implements.
 *
 * Keys follow {@link validateKey}. Errors are {@link CairnError}s whose `backend` is this
 * storage's `name`.
 */
export interface Storage {
  /** The backend's short name, used in error prefixes (`fs`, `s3`, `memory`, `mirror`). */
  readonly name: string;
  /** What this backend can do. */
  readonly capabilities: StorageCapabilities;
  /**
   * Writes an object atomically: a reader sees the previous object or the new one, never
   * part of one. Streams are consumed with bounded memory.
   *
   * @returns the stored object's info, including its `etag` and `sha256`.
   * @throws `PRECONDITION_FAILED` when `ifNoneMatch`/`ifMatch` does not hold; `INVALID_KEY`;
   *   `CORRUPT_DATA` when `expectedSha256` does not match; `TRANSIENT_IO`/`PERMANENT_IO`.
   */
  put(key: string, body: StorageBody, options?: PutOptions): Promise<ObjectInfo>;
  /**
   * Opens an object for reading.
   *
   * @throws `NOT_FOUND` when no object exists at `key`.
   */
  get(key: string, options?: GetOptions): Promise<GetResult>;
  /** Facts about an object without reading it, or undefined when it does not exist. */
  head(key: string): Promise<ObjectInfo | undefined>;
  /**
   * All objects under a prefix in UTF-8 byte order, fetched page by page: memory stays flat
   * however many keys there are. `metadata` is not filled in.
   */
  list(options?: ListOptions): AsyncIterable<ObjectInfo>;
  /** One page of a listing, for callers that keep a cursor or group by `/`. */
  listPage(options?: ListPageOptions): Promise<ListPage>;
  /** Removes an object. Deleting a missing key succeeds (it is already gone). */
  delete(key: string, options?: DeleteOptions): Promise<void>;
  /** Releases handles and connections. Calls after `close` are not supported. */
  close?(): Promise<void>;
}
