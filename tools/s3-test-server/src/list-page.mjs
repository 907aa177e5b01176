// How S3 picks one page of a listing, which s3rver gets wrong: it walks directories (so `a/b`
// comes before `a` and `a-b`), and a page of MaxKeys=1 with a delimiter could hold a key and a
// common prefix. S3 orders keys by their UTF-8 bytes, counts keys and common prefixes alike
// toward MaxKeys, and resumes after the last entry of the previous page.

/**
 * Compares two keys by their UTF-8 bytes, the order S3 lists in (JavaScript's `<` compares
 * UTF-16 code units, which puts U+FF5E after U+1F642).
 *
 * @param {string} left
 * @param {string} right
 */
export function compareUtf8(left, right) {
  return Buffer.compare(Buffer.from(left, 'utf8'), Buffer.from(right, 'utf8'));
}

/**
 * Sorts keys in S3's listing order.
 *
 * @param {Iterable<string>} keys
 * @returns {string[]}
 */
export function sortKeys(keys) {
  return [...keys]
    .map((key) => ({ key, bytes: Buffer.from(key, 'utf8') }))
    .sort((left, right) => Buffer.compare(left.bytes, right.bytes))
    .map(({ key }) => key);
}

/**
 * One page of a listing.
 *
 * An entry is a key, or with a delimiter the common prefix that rolls up every key with the
 * delimiter after `prefix`. Entries that do not sort after `after` (StartAfter, Marker, or the
 * last entry of the previous page) are skipped, so resuming after a common prefix skips every
 * key under it. At most `maxKeys` entries are taken, keys and common prefixes alike.
 *
 * @param {readonly string[]} sortedKeys keys in {@link sortKeys} order
 * @param {{ prefix?: string, delimiter?: string, after?: string, maxKeys: number }} options
 * @returns {{ keys: string[], commonPrefixes: string[], isTruncated: boolean,
 *   lastEntry: string | undefined }}
 */
export function selectListPage(sortedKeys, options) {
  const prefix = options.prefix ?? '';
  const delimiter = options.delimiter ?? '';
  const after = options.after ?? '';
  const keys = [];
  const commonPrefixes = [];
  let lastEntry;
  let isTruncated = false;
  for (const key of sortedKeys) {
    if (!key.startsWith(prefix)) continue;
    const entry = entryOf(key, prefix, delimiter);
    const isCommonPrefix = entry !== key;
    // Keys under one common prefix are adjacent in sorted order: the first one stands for all.
    if (isCommonPrefix && entry === lastEntry) continue;
    if (after !== '' && compareUtf8(entry, after) <= 0) continue;
    if (keys.length + commonPrefixes.length >= options.maxKeys) {
      isTruncated = true;
      break;
    }
    (isCommonPrefix ? commonPrefixes : keys).push(entry);
    lastEntry = entry;
  }
  return { keys, commonPrefixes, isTruncated, lastEntry };
}

function entryOf(key, prefix, delimiter) {
  if (delimiter === '') return key;
  const index = key.indexOf(delimiter, prefix.length);
  return index === -1 ? key : key.slice(0, index + delimiter.length);
}
