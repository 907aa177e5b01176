const monthNames = [
  'Jan',
  'Feb',
  'Mar',
  'Apr',
  'May',
  'Jun',
  'Jul',
  'Aug',
  'Sep',
  'Oct',
  'Nov',
  'Dec',
] as const;

const month = '(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)';
const time = '(\\d{2}):(\\d{2}):(\\d{2})';
// The three HTTP-date forms RFC 9110 §5.6.7 requires a recipient to accept.
const imfFixdate = new RegExp(
  `^(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun), (\\d{2}) ${month} (\\d{4}) ${time} GMT$`,
);
const rfc850Date = new RegExp(
  `^(?:Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday), (\\d{2})-${month}-(\\d{2}) ${time} GMT$`,
);
const asctimeDate = new RegExp(
  `^(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun) ${month} ([ \\d]\\d) ${time} (\\d{4})$`,
);

interface DateParts {
  readonly year: number;
  readonly monthName: string;
  readonly day: string;
  readonly hour: string;
  readonly minute: string;
  readonly second: string;
}

function toEpochMs(parts: DateParts): number | undefined {
  const monthIndex = monthNames.indexOf(parts.monthName as (typeof monthNames)[number]);
  const day = Number(parts.day.trim());
  const hour = Number(parts.hour);
  const minute = Number(parts.minute);
  const second = Number(parts.second);
  if (hour > 23 || minute > 59 || second > 60) return undefined;
  const epochMs = Date.UTC(parts.year, monthIndex, day, hour, minute, Math.min(second, 59));
  // Date.UTC rolls 31 Feb over into March; a real date keeps its day of the month.
  if (new Date(epochMs).getUTCDate() !== day) return undefined;
  return epochMs;
}

function parseHttpDate(value: string, nowMs: number): number | undefined {
  const fixdate = imfFixdate.exec(value);
  if (fixdate) {
    const [, day = '', monthName = '', year = '', hour = '', minute = '', second = ''] = fixdate;
    return toEpochMs({ year: Number(year), monthName, day, hour, minute, second });
  }
  const rfc850 = rfc850Date.exec(value);
  if (rfc850) {
    const [, day = '', monthName = '', shortYear = '', hour = '', minute = '', second = ''] =
      rfc850;
    // RFC 9110: a two-digit year that would land more than 50 years ahead means the past
    // century.
    const nowYear = new Date(nowMs).getUTCFullYear();
    let year = Math.floor(nowYear / 100) * 100 + Number(shortYear);
    if (year > nowYear + 50) year -= 100;
    return toEpochMs({ year, monthName, day, hour, minute, second });
  }
  const asctime = asctimeDate.exec(value);
  if (asctime) {
    const [, monthName = '', day = '', hour = '', minute = '', second = '', year = ''] = asctime;
    return toEpochMs({ year: Number(year), monthName, day, hour, minute, second });
  }
  return undefined;
}

/**
 * Reads a `Retry-After` value as a wait in milliseconds.
 *
 * - A string of digits is delta-seconds (`"120"` → 120,000).
 * - An HTTP-date (`"Sun, 06 Nov 1994 08:49:37 GMT"`, or the RFC 850 and asctime forms) is
 *   measured from `nowMs`; a date already past means no wait (0).
 * - A number is taken as seconds, as in the header (some clients expose it parsed).
 * - Anything else (negative, fractional strings, garbage, empty) is `undefined`: the caller
 *   then falls back to its own backoff rather than trusting a value it cannot read.
 *
 * @param value - the header value, or a number of seconds.
 * @param nowMs - the current time in epoch milliseconds (a retry policy passes its clock's).
 */
export function parseRetryAfter(
  value: string | number | undefined,
  nowMs: number,
): number | undefined {
  if (typeof value === 'number') {
    return Number.isFinite(value) && value >= 0 ? value * 1000 : undefined;
  }
  if (typeof value !== 'string') return undefined;
  const trimmed = value.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed) * 1000;
  const dateMs = parseHttpDate(trimmed, nowMs);
  if (dateMs === undefined) return undefined;
  return Math.max(0, dateMs - nowMs);
}
