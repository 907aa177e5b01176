import { CairnError } from '../errors/cairn-error.js';
import { inputDigestOf } from './item-digest.js';
import { type ItemIdentity, itemIdentity } from './load-item-progress.js';
import type { ResolvedMapItemsOptions } from './map-items-options.js';

/** Longest item key, in characters: keys are repeated in every segment. */
export const maxItemKeyLength = 512;

/** One input item with everything a map needs to know about it before running it. */
export interface PlannedItem<Item> {
  readonly item: Item;
  readonly index: number;
  readonly key: string | undefined;
  /** What a resume matches it by (see `itemIdentity`). */
  readonly identity: ItemIdentity;
  /** Its sweep parameters, with a grid. */
  readonly parameters: Readonly<Record<string, unknown>> | undefined;
  /** Hex SHA-256 of its canonical JSON (with its parameters). */
  readonly inputDigest: string;
}

function invalidKey(problem: string, index: number): CairnError {
  return new CairnError({
    code: 'INVALID_OPTIONS',
    backend: 'items',
    message: `Invalid map option "key": ${problem}. The key function must give every item a distinct, non-empty string of at most ${maxItemKeyLength} characters, e.g. its id.`,
    details: { option: 'key', index },
  });
}

/**
 * Works out each item's key, parameters and input digest.
 *
 * @throws CairnError `INVALID_OPTIONS` for an item that is not JSON, or a key that is not a
 *   non-empty string, is too long, or repeats.
 */
export function planItems<Item, Result>(
  options: ResolvedMapItemsOptions<Item, Result>,
): PlannedItem<Item>[] {
  const seenKeys = new Map<string, number>();
  return options.items.map((item, index) => {
    let key: string | undefined;
    if (options.key !== undefined) {
      const given: unknown = options.key(item, index);
      if (typeof given !== 'string' || given.length === 0) {
        throw invalidKey(`item ${index} got ${JSON.stringify(given) ?? String(given)}`, index);
      }
      if (given.length > maxItemKeyLength) {
        throw invalidKey(`item ${index} got a key of ${given.length} characters`, index);
      }
      const earlier = seenKeys.get(given);
      if (earlier !== undefined) {
        throw invalidKey(`items ${earlier} and ${index} both got ${JSON.stringify(given)}`, index);
      }
      seenKeys.set(given, index);
      key = given;
    }
    const parameters = options.grid?.parametersOf(index);
    return {
      item,
      index,
      key,
      identity: itemIdentity(index, key),
      parameters,
      inputDigest: inputDigestOf(item, index, parameters),
    };
  });
}
