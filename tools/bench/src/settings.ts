const units: Readonly<Record<string, number>> = {
  '': 1,
  b: 1,
  kib: 1024,
  mib: 1024 ** 2,
  gib: 1024 ** 3,
  kb: 1000,
  mb: 1000 ** 2,
  gb: 1000 ** 3,
};

function fromEnvironment(
  name: string,
  fallback: number,
  expected: string,
  parse: (text: string) => number | undefined,
): number {
  const text = process.env[name]?.trim();
  if (text === undefined || text === '') return fallback;
  const value = parse(text);
  if (value === undefined) {
    throw new Error(
      `[bench] ${name}="${text}" is not understood: expected ${expected} (unset it for the default, ${fallback}).`,
    );
  }
  return value;
}

/**
 * A byte count from the environment variable `name` (`1GiB`, `64 MiB`, `10KB`, `4096`), or
 * `fallback` when it is unset, so a quick run can shrink a benchmark without editing it.
 *
 * @throws Error naming the variable when its value is not a positive size.
 */
export function bytesFromEnvironment(name: string, fallback: number): number {
  return fromEnvironment(name, fallback, 'a size such as 1GiB, 64MiB or 4096', (text) => {
    const match = /^(\d+(?:\.\d+)?)\s*([a-z]*)$/i.exec(text);
    const unit = units[match?.[2]?.toLowerCase() ?? 'none'];
    if (match === null || unit === undefined) return undefined;
    const bytes = Math.round(Number(match[1]) * unit);
    return bytes > 0 ? bytes : undefined;
  });
}

/**
 * A count (rounds, operations) from the environment variable `name`, or `fallback`.
 *
 * @throws Error naming the variable when its value is not a positive whole number.
 */
export function countFromEnvironment(name: string, fallback: number): number {
  return fromEnvironment(name, fallback, 'a positive whole number', (text) => {
    const count = Number(text);
    return /^\d+$/.test(text) && count > 0 ? count : undefined;
  });
}

/** `bytes` for a heading: `1 GiB`, `64 MiB`, `10 KiB` when whole, else plain bytes. */
export function formatBytes(bytes: number): string {
  for (const [suffix, unit] of [
    ['GiB', 1024 ** 3],
    ['MiB', 1024 ** 2],
    ['KiB', 1024],
  ] as const) {
    if (bytes >= unit && bytes % unit === 0) return `${bytes / unit} ${suffix}`;
  }
  return `${bytes.toLocaleString('en-US')} bytes`;
}
