import { CairnError } from '../errors/cairn-error.js';
import type { ListOptions, ListPage, ListPageOptions, ObjectInfo } from './storage.js';

/**
 * Walks a paginated listing page by page, so a backend only implements `listPage` and its
 * `list` keeps no more than one page in memory.
 */
export async function* listFromPages(
  listPage: (options: ListPageOptions) => Promise<ListPage>,
  options: ListOptions = {},
  backend = 'kernel',
): AsyncGenerator<ObjectInfo> {
  let cursor: string | undefined;
  do {
    if (options.signal?.aborted) {
      throw new CairnError({
        code: 'ABORTED',
        backend,
        message: 'Listing was aborted.',
        cause: options.signal.reason,
      });
    }
    const page = await listPage({ ...options, cursor });
    yield* page.objects;
    cursor = page.cursor;
  } while (cursor !== undefined);
}
