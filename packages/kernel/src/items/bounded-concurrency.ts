/** Options of {@link runBounded}. */
export interface RunBoundedOptions {
  /** Checked before each task starts; once true, no further task starts. */
  readonly shouldStop?: () => boolean;
}

/**
 * Runs `task(0) … task(count - 1)` in order of start with at most `limit` running at once.
 * The first failure stops further starts; tasks already running are awaited, then that first
 * failure is thrown. No rejection is ever left unobserved.
 */
export async function runBounded(
  count: number,
  limit: number,
  task: (position: number) => Promise<void>,
  options: RunBoundedOptions = {},
): Promise<void> {
  let next = 0;
  let failure: { readonly error: unknown } | undefined;
  const lane = async (): Promise<void> => {
    while (failure === undefined && next < count && options.shouldStop?.() !== true) {
      const position = next;
      next += 1;
      try {
        await task(position);
      } catch (error) {
        failure ??= { error };
      }
    }
  };
  const lanes = Math.max(0, Math.min(limit, count));
  await Promise.all(Array.from({ length: lanes }, lane));
  if (failure !== undefined) throw failure.error;
}
