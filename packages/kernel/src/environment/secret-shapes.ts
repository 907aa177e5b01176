import { isHighEntropyToken, tokenCandidatePattern } from './high-entropy.js';

/** What replaces a secret in records and diffs. */
export const redactedMarker = '[redacted]';

/** The kinds of secret recognised by their shape. */
export type SecretShapeKind =
  | 'aws-access-key-id'
  | 'api-key'
  | 'github-token'
  | 'slack-token'
  | 'jwt'
  | 'private-key'
  | 'url-password'
  | 'high-entropy';

/** Where a secret sits in a text: `text.slice(start, end)`. */
export interface SecretSpan {
  readonly start: number;
  readonly end: number;
  readonly kind: SecretShapeKind;
}

interface Shape {
  readonly kind: SecretShapeKind;
  /** Global pattern; with `group`, the `d` flag too. */
  readonly pattern: RegExp;
  /** The capture group holding the secret, when only part of the match is secret. */
  readonly group?: number;
  /** A last check on the matched secret, for patterns that alone would match too much. */
  readonly accept?: (secret: string) => boolean;
}

// A token must not continue a longer word on its left: `task-…` is not an `sk-…` key.
const shapes: readonly Shape[] = [
  {
    kind: 'aws-access-key-id',
    pattern: /(?<![A-Za-z0-9])(?:AKIA|ASIA)[A-Z0-9]{16}(?![A-Za-z0-9])/g,
  },
  // OpenAI (`sk-…`, `sk-proj-…`), Anthropic (`sk-ant-…`) and similar: digits are always there.
  {
    kind: 'api-key',
    pattern: /(?<![A-Za-z0-9_-])sk-[A-Za-z0-9_-]{20,}/g,
    accept: (secret) => /[0-9]/.test(secret),
  },
  { kind: 'api-key', pattern: /(?<![A-Za-z0-9])[sr]k_(?:live|test)_[A-Za-z0-9]{16,}/g },
  { kind: 'api-key', pattern: /(?<![A-Za-z0-9_])(?:hf|npm)_[A-Za-z0-9]{30,}/g },
  { kind: 'api-key', pattern: /(?<![A-Za-z0-9])glpat-[A-Za-z0-9_-]{20,}/g },
  { kind: 'api-key', pattern: /(?<![A-Za-z0-9])AIza[0-9A-Za-z_-]{35}/g },
  { kind: 'github-token', pattern: /(?<![A-Za-z0-9_])gh[pousr]_[A-Za-z0-9]{30,}/g },
  { kind: 'github-token', pattern: /(?<![A-Za-z0-9_])github_pat_[A-Za-z0-9_]{30,}/g },
  { kind: 'slack-token', pattern: /(?<![A-Za-z0-9])xox[abposr]-[A-Za-z0-9-]{10,}/g },
  {
    kind: 'jwt',
    pattern: /(?<![A-Za-z0-9_-])eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]*/g,
  },
  // Only the password of `scheme://user:password@host` is secret; greedy up to the last `@`
  // before the path, so an unescaped `@` inside the password is not left half shown.
  {
    kind: 'url-password',
    pattern: /[A-Za-z][A-Za-z0-9+.-]*:\/\/[^\s:@/]*:([^\s/]+)@/dg,
    group: 1,
    accept: (secret) => secret !== redactedMarker,
  },
  { kind: 'high-entropy', pattern: tokenCandidatePattern, accept: isHighEntropyToken },
];

/** A PEM private key block: the body between its BEGIN and END lines (or the end of text). */
const privateKeyBlock =
  /-----BEGIN [A-Z0-9 ]*PRIVATE KEY(?: BLOCK)?-----([\s\S]*?)(?=-----END [A-Z0-9 ]*PRIVATE KEY(?: BLOCK)?-----|$)/dg;

function privateKeySpans(text: string): SecretSpan[] {
  const spans: SecretSpan[] = [];
  for (const match of text.matchAll(privateKeyBlock)) {
    const body = match.indices?.[1];
    if (body !== undefined && body[1] > body[0]) {
      spans.push({ start: body[0], end: body[1], kind: 'private-key' });
    }
  }
  return spans;
}

function shapeSpans(text: string): SecretSpan[] {
  const spans: SecretSpan[] = [];
  for (const shape of shapes) {
    for (const match of text.matchAll(shape.pattern)) {
      const range =
        shape.group === undefined
          ? [match.index, match.index + match[0].length]
          : match.indices?.[shape.group];
      if (range === undefined) continue;
      const [start, end] = range as [number, number];
      if (end <= start) continue;
      if (shape.accept && !shape.accept(text.slice(start, end))) continue;
      spans.push({ start, end, kind: shape.kind });
    }
  }
  return spans;
}

/** Sorts spans and joins overlapping ones; the first kind found for a region is kept. */
function mergeSpans(spans: SecretSpan[]): SecretSpan[] {
  const sorted = [...spans].sort((left, right) => left.start - right.start || right.end - left.end);
  const merged: SecretSpan[] = [];
  for (const span of sorted) {
    const last = merged.at(-1);
    if (last !== undefined && span.start < last.end) {
      merged[merged.length - 1] = { ...last, end: Math.max(last.end, span.end) };
    } else {
      merged.push(span);
    }
  }
  return merged;
}

/**
 * Every secret in `text` recognised by its shape, sorted and not overlapping: AWS access key
 * ids (`AKIA…`, `ASIA…`), API keys (`sk-…`, `sk-proj-…`, `sk_live_…`, `hf_…`, `npm_…`,
 * `glpat-…`, `AIza…`), GitHub tokens (`ghp_…`, `github_pat_…`), Slack tokens (`xoxb-…`),
 * JWTs, the bodies of PEM private keys, the password of a URL's `user:password@`, and long
 * high-entropy tokens (see {@link isHighEntropyToken}).
 */
export function findSecrets(text: string): SecretSpan[] {
  return mergeSpans([...privateKeySpans(text), ...shapeSpans(text)]);
}

/**
 * Whether `value` is or contains something shaped like a secret (see {@link findSecrets}),
 * whatever the name it is stored under.
 */
export function looksSecret(value: string): boolean {
  return findSecrets(value).length > 0;
}

/**
 * The replacement of a secret span. A private key body keeps its line structure, and the
 * `+`/`-`/space a diff puts at the start of each line, so a diff stays readable as a diff.
 */
function replacementOf(secret: string, kind: SecretShapeKind): string {
  if (kind !== 'private-key') return redactedMarker;
  return secret
    .split('\n')
    .map((line) => {
      const marker = /^[+\- ]/.exec(line)?.[0] ?? '';
      return line.slice(marker.length).trim().length > 0 ? `${marker}${redactedMarker}` : line;
    })
    .join('\n');
}

/** A text with secrets replaced, and how many were replaced. */
export interface ScrubResult {
  readonly text: string;
  readonly redactions: number;
}

/** Replaces every secret recognised by its shape in `text` with `[redacted]`. */
export function scrubSecretShapes(text: string): ScrubResult {
  const spans = findSecrets(text);
  if (spans.length === 0) return { text, redactions: 0 };
  let result = '';
  let position = 0;
  for (const span of spans) {
    result += text.slice(position, span.start);
    result += replacementOf(text.slice(span.start, span.end), span.kind);
    position = span.end;
  }
  return { text: result + text.slice(position), redactions: spans.length };
}
