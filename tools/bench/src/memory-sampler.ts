/** Watches the resident set size while something runs. */
export interface MemorySampler {
  /** Stops sampling and returns the largest growth above the starting size, in bytes. */
  stop(): number;
}

const sampleIntervalMs = 5;

/**
 * Samples the process's resident set size every few milliseconds from now on. Streams yield
 * to the event loop between chunks, so a timer sees the peak of a streamed transfer closely
 * enough; a step that blocks the loop would hide its peak, which none measured here does.
 */
export function startMemorySampler(): MemorySampler {
  const baseline = process.memoryUsage.rss();
  let peak = baseline;
  const timer = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage.rss());
  }, sampleIntervalMs);
  return {
    stop() {
      clearInterval(timer);
      peak = Math.max(peak, process.memoryUsage.rss());
      return peak - baseline;
    },
  };
}

/**
 * Collects garbage when Node runs with `--expose-gc`, so every round starts from a similar
 * heap and one round's garbage is not billed to the next. Without the flag it does nothing.
 */
export function collectGarbage(): void {
  const collect = (globalThis as { gc?: () => void }).gc;
  collect?.();
}
