/** The folder part of a key, with its trailing `/` (`''` at the root). */
export function folderOf(key: string): string {
  return key.slice(0, key.lastIndexOf('/') + 1);
}

/** The last segment of a key (a file name). */
export function fileNameOf(key: string): string {
  return key.slice(key.lastIndexOf('/') + 1);
}

/** The last segment of a folder (`a/b/` → `b`), or undefined at the root. */
export function folderNameOf(folder: string): string | undefined {
  const trimmed = folder.replace(/\/$/, '');
  return trimmed === '' ? undefined : fileNameOf(trimmed);
}

/** The parent of a folder (`a/b/` → `a/`), or undefined at the root. */
export function parentFolderOf(folder: string): string | undefined {
  if (folder === '') return undefined;
  return folderOf(folder.replace(/\/$/, ''));
}

/** `folder` and up to `levels` of its ancestors, nearest first. */
export function foldersUp(folder: string, levels: number): string[] {
  const folders = [folder];
  let current: string | undefined = folder;
  for (let level = 0; level < levels; level++) {
    current = parentFolderOf(current);
    if (current === undefined) break;
    folders.push(current);
  }
  return folders;
}
