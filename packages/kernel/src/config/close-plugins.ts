import { CairnError, isCairnError } from '../errors/cairn-error.js';
import type { Logger } from '../logging/logger.js';

/** After a failed start the start's error is what the user must fix; closing is best effort. */
export async function closeQuietly(
  instances: readonly unknown[],
  logger: Logger,
  fields: Record<string, unknown>,
): Promise<void> {
  await closeAll(instances).catch(() => {
    logger.warn(fields, 'closing the plugins already started failed after a failed start');
  });
}

/** Closes every instance that has a `close()`, last first; one error for all failures. */
export async function closeAll(instances: readonly unknown[]): Promise<void> {
  const failures: unknown[] = [];
  for (const instance of [...instances].reverse()) {
    const close = (instance as { close?: unknown } | null)?.close;
    if (typeof close !== 'function') continue;
    try {
      await close.call(instance);
    } catch (error) {
      failures.push(error);
    }
  }
  if (failures.length === 0) return;
  const first = failures[0];
  throw new CairnError({
    code: isCairnError(first) ? first.code : 'PERMANENT_IO',
    backend: 'config',
    message: `${failures.length} of ${instances.length} plugins failed to close; the first failure is the cause. Check the storage they write to.`,
    cause: failures.length === 1 ? first : new AggregateError(failures),
  });
}
