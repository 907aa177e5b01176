import { randomBytes } from 'node:crypto';

/** Lowercase Crockford-style base32 without the easily confused i, l, o, u. */
const suffixAlphabet = '0123456789abcdefghjkmnpqrstvwxyz';

/** Length of the random part of a time id: 32^6 ≈ 10^9 ids per millisecond before a clash is likely. */
const suffixLength = 6;

/** A time id: `20250810T143022.123Z-k3f9a2`. Fixed width, so plain string order is time order. */
export const timeIdPattern = /^\d{8}T\d{6}\.\d{3}Z-[0-9a-hjkmnp-tv-z]{6}$/;

/** Options for {@link createTimeIdGenerator}. */
export interface TimeIdGeneratorOptions {
  /** Milliseconds since the epoch; defaults to `Date.now`. Injected by tests. */
  readonly now?: () => number;
  /** Random bytes for the suffix; defaults to `crypto.randomBytes`. Injected by tests. */
  readonly randomBytes?: (size: number) => Uint8Array;
}

/** Makes time ids that sort as plain strings in the order they were made. */
export interface TimeIdGenerator {
  /**
   * The next id. Strictly greater than the previous one from this generator even when the
   * wall clock stands still or steps back (the millisecond is then advanced by one).
   */
  next(): string;
}

/** Formats a millisecond timestamp as `YYYYMMDDTHHMMSS.mmmZ` (UTC, fixed width). */
export function formatTimeStamp(milliseconds: number): string {
  // toISOString is `2025-08-10T14:30:22.123Z`; dropping the separators keeps it sortable and
  // safe in every backend's keys and in file names.
  return new Date(milliseconds).toISOString().replace(/[-:]/g, '');
}

/**
 * The time a time id (or an id ending in one, such as `research/20250810T143022.123Z-k3f9a2`)
 * was made, or undefined when it does not end in a time id.
 */
export function timeOfId(id: string): Date | undefined {
  const stamp = id.slice(id.lastIndexOf('/') + 1);
  if (!timeIdPattern.test(stamp)) return undefined;
  const iso = `${stamp.slice(0, 4)}-${stamp.slice(4, 6)}-${stamp.slice(6, 8)}T${stamp.slice(9, 11)}:${stamp.slice(11, 13)}:${stamp.slice(13, 19)}Z`;
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? undefined : date;
}

/** A generator of {@link timeIdPattern} ids; one per process is enough. */
export function createTimeIdGenerator(options: TimeIdGeneratorOptions = {}): TimeIdGenerator {
  const now = options.now ?? Date.now;
  const random = options.randomBytes ?? randomBytes;
  let last = Number.NEGATIVE_INFINITY;
  return {
    next() {
      // Same or earlier millisecond than the last id: step past it, so ids from one
      // generator are strictly increasing and "the latest" is never ambiguous.
      const milliseconds = Math.max(now(), last + 1);
      last = milliseconds;
      const bytes = random(suffixLength);
      let suffix = '';
      for (let index = 0; index < suffixLength; index++) {
        suffix += suffixAlphabet[(bytes[index] ?? 0) % suffixAlphabet.length];
      }
      return `${formatTimeStamp(milliseconds)}-${suffix}`;
    },
  };
}

/** The process-wide generator used when callers do not inject one. */
export const defaultTimeIds: TimeIdGenerator = createTimeIdGenerator();
