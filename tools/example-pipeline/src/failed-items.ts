import type { ItemOutcome } from '@cairn/kernel';
import type { FailedItem } from './research-types.js';

/**
 * The failed items of a map, as the pipeline reports them: the map's outcomes say which item
 * failed and why, `idOf` says which candidate it was about.
 */
export function failedItemsOf(
  step: string,
  outcomes: readonly ItemOutcome<unknown>[],
  idOf: (index: number) => string,
): FailedItem[] {
  const failed: FailedItem[] = [];
  for (const outcome of outcomes) {
    if (outcome.status !== 'failed') continue;
    failed.push({
      step,
      index: outcome.index,
      id: idOf(outcome.index),
      message: outcome.error.message,
    });
  }
  return failed;
}
