import * as fileSystemPromises from 'node:fs/promises';

/**
 * The part of `node:fs/promises` the fs storage uses. Every file-system call goes through
 * it, so tests can wrap one function to inject a failure (a full disk at the write step, a
 * permission error at the rename) without filling a real disk.
 */
export type FileSystem = Pick<
  typeof fileSystemPromises,
  | 'open'
  | 'readdir'
  | 'mkdir'
  | 'rmdir'
  | 'rm'
  | 'rename'
  | 'link'
  | 'unlink'
  | 'lstat'
  | 'realpath'
  | 'readFile'
>;

/** The real file system. */
export const nodeFileSystem: FileSystem = {
  open: fileSystemPromises.open,
  readdir: fileSystemPromises.readdir,
  mkdir: fileSystemPromises.mkdir,
  rmdir: fileSystemPromises.rmdir,
  rm: fileSystemPromises.rm,
  rename: fileSystemPromises.rename,
  link: fileSystemPromises.link,
  unlink: fileSystemPromises.unlink,
  lstat: fileSystemPromises.lstat,
  realpath: fileSystemPromises.realpath,
  readFile: fileSystemPromises.readFile,
};
