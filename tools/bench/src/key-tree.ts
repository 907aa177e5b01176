/** Runs × steps × items: 20 × 10 × 100 = 20 000 keys in nested folders. */
const runs = 20;
const steps = 10;
const items = 100;

/** Number of keys {@link treeKeys} returns. */
export const treeKeyCount = runs * steps * items;

/** Keys shaped like a pipeline's results: `runs/run-07/step-3/item-042.json`. */
export function treeKeys(): string[] {
  const keys: string[] = [];
  for (let run = 0; run < runs; run++) {
    for (let step = 0; step < steps; step++) {
      for (let item = 0; item < items; item++) {
        keys.push(
          `runs/run-${String(run).padStart(2, '0')}/step-${step}/item-${String(item).padStart(3, '0')}.json`,
        );
      }
    }
  }
  return keys;
}

/** Calls `action` for every element, at most `concurrency` at a time. */
export async function forEachConcurrently<T>(
  elements: readonly T[],
  concurrency: number,
  action: (element: T) => Promise<unknown>,
): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < elements.length) await action(elements[next++] as T);
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
}
