import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

/** How much memory grew between a probe's start and its highest sample. */
export interface MemoryGrowth {
  /** Growth of the resident set size, in bytes. */
  readonly rssBytes: number;
  /** Growth of the V8 heap plus external memory (where Buffers live), in bytes. */
  readonly heapBytes: number;
  /** Number of samples taken. */
  readonly samples: number;
}

let garbageCollector: (() => void) | null | undefined;

/**
 * The engine's garbage collector, or null when it cannot be reached. Collecting before each
 * sample measures what is still referenced: without it, chunks a streaming backend already
 * dropped but the engine has not collected yet look like buffering.
 */
function findGarbageCollector(): (() => void) | null {
  if (garbageCollector !== undefined) return garbageCollector;
  const exposed = (globalThis as { gc?: () => void }).gc;
  if (typeof exposed === 'function') {
    garbageCollector = exposed;
    return exposed;
  }
  try {
    // Turning the flag on late only affects contexts created afterwards, so a fresh context
    // hands out its `gc`; the test process itself is otherwise untouched.
    setFlagsFromString('--expose-gc');
    const collected: unknown = runInNewContext('gc');
    garbageCollector = typeof collected === 'function' ? (collected as () => void) : null;
  } catch {
    garbageCollector = null;
  }
  return garbageCollector;
}

function measure(): { rss: number; heap: number } {
  const collect = findGarbageCollector();
  // Twice: V8 releases the memory of dead Buffers on a background thread after a collection,
  // and the next collection waits for that to finish, so only then is `external` accurate.
  collect?.();
  collect?.();
  const usage = process.memoryUsage();
  return { rss: usage.rss, heap: usage.heapUsed + usage.external };
}

/**
 * Samples process memory while something streams and keeps the peak growth over the starting
 * point. Sample at points of your choosing (e.g. every few MiB of a stream): no timers, so the
 * result does not depend on how fast the machine is.
 */
export class MemoryProbe {
  private peakRss = 0;
  private peakHeap = 0;
  private count = 0;

  private constructor(private readonly baseline: { rss: number; heap: number }) {}

  /**
   * Starts a probe. The baseline is the lowest of several samples taken over a few turns of
   * the event loop: what earlier work has just let go of often stays reachable from settling
   * streams and promises for a turn or two, and counting it in the baseline would make later
   * growth look smaller than it is.
   */
  static async start(settleTurns = 8): Promise<MemoryProbe> {
    let baseline = measure();
    for (let turn = 0; turn < settleTurns; turn++) {
      await new Promise((resolve) => setImmediate(resolve));
      const current = measure();
      baseline = {
        rss: Math.min(baseline.rss, current.rss),
        heap: Math.min(baseline.heap, current.heap),
      };
    }
    return new MemoryProbe(baseline);
  }

  /** Whether samples see only live memory (the garbage collector was reachable). */
  static get collectsGarbage(): boolean {
    return findGarbageCollector() !== null;
  }

  /** Takes one sample. */
  sample(): void {
    const current = measure();
    this.peakRss = Math.max(this.peakRss, current.rss - this.baseline.rss);
    this.peakHeap = Math.max(this.peakHeap, current.heap - this.baseline.heap);
    this.count += 1;
  }

  /** The peak growth seen so far. */
  get growth(): MemoryGrowth {
    return { rssBytes: this.peakRss, heapBytes: this.peakHeap, samples: this.count };
  }
}

/** Bytes as MiB with one decimal, for messages. */
export function formatMebibytes(bytes: number): string {
  return `${(bytes / (1024 * 1024)).toFixed(1)} MiB`;
}
