import type { CatalogEntry } from './catalog-entry.js';

/**
 * Maps `items` through `transform` with up to `concurrency` transforms in flight, yielding the
 * results in the order of the items. `immediate` answers the items that need no waiting (or
 * undefined for those that do). A rejected transform is thrown when its turn comes; the
 * ones after it are still awaited, so no rejection goes unobserved.
 */
export async function* mapOrdered<Item, Result>(
  items: AsyncIterable<Item>,
  concurrency: number,
  transform: (item: Item) => Promise<Result>,
  immediate?: (item: Item) => Result | undefined,
): AsyncGenerator<Result> {
  const queue: Promise<Result>[] = [];
  try {
    for await (const item of items) {
      // Most items need no lookup: with nothing queued ahead, they skip the promise machinery.
      const ready = queue.length === 0 ? immediate?.(item) : undefined;
      if (ready !== undefined) {
        yield ready;
        continue;
      }
      const result = Promise.resolve().then(() => immediate?.(item) ?? transform(item));
      // Observed here; the rejection itself is rethrown when the result is awaited below.
      result.catch(() => {});
      queue.push(result);
      if (queue.length >= concurrency) yield await (queue.shift() as Promise<Result>);
    }
    while (queue.length > 0) yield await (queue.shift() as Promise<Result>);
  } finally {
    await Promise.allSettled(queue);
  }
}

/**
 * Merges streams that are each in `compare` order into one stream in that order, holding one
 * entry per stream: a listing across steps never needs a whole step in memory.
 */
export async function* mergeOrdered<Item>(
  streams: readonly AsyncIterable<Item>[],
  compare: (left: Item, right: Item) => number,
): AsyncGenerator<Item> {
  const iterators = streams.map((stream) => stream[Symbol.asyncIterator]());
  const heads: Array<{ value: Item } | undefined> = await Promise.all(
    iterators.map(async (iterator) => {
      const next = await iterator.next();
      return next.done === true ? undefined : { value: next.value };
    }),
  );
  try {
    for (;;) {
      let chosen = -1;
      for (let index = 0; index < heads.length; index++) {
        const head = heads[index];
        if (head === undefined) continue;
        const best = chosen < 0 ? undefined : heads[chosen];
        if (best === undefined || compare(head.value, best.value) < 0) chosen = index;
      }
      if (chosen < 0) return;
      yield (heads[chosen] as { value: Item }).value;
      const next = await (iterators[chosen] as AsyncIterator<Item>).next();
      heads[chosen] = next.done === true ? undefined : { value: next.value };
    }
  } finally {
    await Promise.allSettled(iterators.map((iterator) => iterator.return?.()));
  }
}

/**
 * Keeps the first `limit` entries in `compare` order while consuming a stream: memory holds at
 * most twice `limit` entries, trimmed by sorting whenever it fills.
 */
export async function firstInOrder(
  entries: AsyncIterable<CatalogEntry>,
  compare: (left: CatalogEntry, right: CatalogEntry) => number,
  limit: number | undefined,
): Promise<CatalogEntry[]> {
  const kept: CatalogEntry[] = [];
  for await (const entry of entries) {
    kept.push(entry);
    if (limit !== undefined && kept.length >= limit * 2) {
      kept.sort(compare);
      kept.length = limit;
    }
  }
  kept.sort(compare);
  if (limit !== undefined && kept.length > limit) kept.length = limit;
  return kept;
}
