/** Where a secret was seen, e.g. `the error of found[0]: cause.message`. */
export interface SecretLeak {
  /** Which of the fixture's secrets, by index (the secret itself is not repeated). */
  readonly secretIndex: number;
  /** The path inside the inspected value where it appeared. */
  readonly path: string;
}

// An error can hold a whole HTTP response; a bounded walk still reaches messages, causes,
// headers and request options, where leaked keys hide.
const maxDepth = 8;
const maxVisits = 20_000;

/**
 * Every place in `value` where one of `secrets` appears: any string reachable through own
 * properties (enumerable or not, so an error's `message`, `stack` and `cause` too), array
 * items, and the text of objects that print themselves (URLs). Empty secrets are ignored.
 */
export function findSecretLeaks(
  value: unknown,
  secrets: readonly string[],
  root: string,
): SecretLeak[] {
  const leaks: SecretLeak[] = [];
  const seen = new Set<object>();
  let visits = 0;

  const inspectText = (text: string, path: string) => {
    secrets.forEach((secret, secretIndex) => {
      if (secret !== '' && text.includes(secret)) leaks.push({ secretIndex, path });
    });
  };

  const walk = (current: unknown, path: string, depth: number): void => {
    visits += 1;
    if (visits > maxVisits) return;
    if (typeof current === 'string') {
      inspectText(current, path);
      return;
    }
    if ((typeof current !== 'object' && typeof current !== 'function') || current === null) return;
    if (seen.has(current) || depth > maxDepth) return;
    seen.add(current);
    if (typeof current === 'function') return;
    // URL, Headers and the like keep their data in internal slots; their text shows it.
    if (!Array.isArray(current) && !(current instanceof Error)) {
      const text = textOf(current);
      if (text !== undefined && text !== '[object Object]') inspectText(text, `${path} (as text)`);
    }
    if (current instanceof Map) {
      for (const [key, item] of current) {
        walk(key, `${path} key`, depth + 1);
        walk(item, `${path}.get(${String(key)})`, depth + 1);
      }
    }
    for (const key of Object.getOwnPropertyNames(current)) {
      let item: unknown;
      try {
        item = (current as Record<string, unknown>)[key];
      } catch {
        continue;
      }
      walk(item, Array.isArray(current) ? `${path}[${key}]` : `${path}.${key}`, depth + 1);
    }
  };

  walk(value, root, 0);
  return leaks;
}

function textOf(value: object): string | undefined {
  try {
    return String(value);
  } catch {
    // An object without a prototype has no toString.
    return undefined;
  }
}
