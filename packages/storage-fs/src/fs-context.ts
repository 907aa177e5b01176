import type { FileSystem } from './file-system.js';
import type { FsLayout } from './fs-layout.js';
import type { KeyLockSettings } from './key-lock.js';

/** What the parts of an open fs storage share. */
export interface FsContext {
  /** Every file-system call goes through it (tests wrap it to inject failures). */
  readonly fileSystem: FileSystem;
  /** Paths of the root and the reserved folders. */
  readonly layout: FsLayout;
  /** Whether writes are flushed to disk before they are acknowledged. */
  readonly fsync: boolean;
  /** How per-key locks are taken. */
  readonly lock: KeyLockSettings;
}
