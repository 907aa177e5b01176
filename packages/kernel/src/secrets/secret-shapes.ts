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
// Every repetition is bounded: V8 keeps a backtracking entry per character of an unbounded
// one and overflows its stack on a run of some megabytes (a base64 image in a diff).
const shapes: readonly Shape[] = [
  {
    kind: 'aws-access-key-id',
    pattern: /(?<![A-Za-z0-9])(?:AKIA|ASIA)[A-Z0-9]{16}(?![A-Za-z0-9])/g,
  },
  // OpenAI (`sk-…`, `sk-proj-…`), Anthropic (`sk-ant-…`) and similar: digits are always there.
  {
    kind: 'api-key',
    pattern: /(?<![A-Za-z0-9_-])sk-[A-Za-z0-9_-]{20,512}/g,
    accept: (secret) => /[0-9]/.test(secret),
  },
  { kind: 'api-key', pattern: /(?<![A-Za-z0-9])[sr]k_(?:live|test)_[A-Za-z0-9]{16,512}/g },
  { kind: 'api-key', pattern: /(?<![A-Za-z0-9_])(?:hf|npm)_[A-Za-z0-9]{30,512}/g },
  { kind: 'api-key', pattern: /(?<![A-Za-z0-9])glpat-[A-Za-z0-9_-]{20,512}/g },
  { kind: 'api-key', pattern: /(?<![A-Za-z0-9])AIza[0-9A-Za-z_-]{35}/g },
  { kind: 'github-token', pattern: /(?<![A-Za-z0-9_])gh[pousr]_[A-Za-z0-9]{30,512}/g },
  { kind: 'github-token', pattern: /(?<![A-Za-z0-9_])github_pat_[A-Za-z0-9_]{30,512}/g },
  { kind: 'slack-token', pattern: /(?<![A-Za-z0-9])xox[abposr]-[A-Za-z0-9-]{10,512}/g },
  {
    kind: 'jwt',
    pattern:
      /(?<![A-Za-z0-9_-])eyJ[A-Za-z0-9_-]{8,8192}\.[A-Za-z0-9_-]{8,8192}\.[A-Za-z0-9_-]{0,8192}/g,
  },
  // Only the password of `scheme://user:password@host` is secret; greedy up to the last `@`
  // before the path, so an unescaped `@` inside the password is not left half shown. The
  // lookbehind and the bounds keep the scan linear on long lines (a notebook's base64 image):
  // without them every letter of a run would start a scan to the end of the run.
  {
    kind: 'url-password',
    pattern:
      /(?<![A-Za-z0-9+.-])[A-Za-z][A-Za-z0-9+.-]{0,31}:\/\/[^\s:@/]{0,256}:([^\s/]{1,256})@/dg,
    group: 1,
    accept: (secret) => secret !== redactedMarker,
  },
  { kind: 'high-entropy', pattern: tokenCandidatePattern, accept: isHighEntropyToken },
];

/** The first line of a PEM private key (PKCS #1 and #8, OpenSSH, EC, PGP…). */
const privateKeyHeader = /-----BEGIN [A-Z0-9 ]{0,40}PRIVATE KEY(?: BLOCK)?-----/g;
const privateKeyFooter = /-----END [A-Z0-9 ]{0,40}PRIVATE KEY(?: BLOCK)?-----/g;

/** The bodies of PEM private keys: from the header to the footer, or to the end of the text. */
function privateKeySpans(text: string): SecretSpan[] {
  const spans: SecretSpan[] = [];
  privateKeyHeader.lastIndex = 0;
  for (let header = privateKeyHeader.exec(text); header !== null; ) {
    const start = header.index + header[0].length;
    privateKeyFooter.lastIndex = start;
    const footer = privateKeyFooter.exec(text);
    const end = footer === null ? text.length : footer.index;
    if (end > start) spans.push({ start, end, kind: 'private-key' });
    if (footer === null) break;
    privateKeyHeader.lastIndex = footer.index + footer[0].length;
    header = privateKeyHeader.exec(text);
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

/**
 * Sorts spans and joins overlapping and touching ones (a long token is found in bounded
 * pieces); the first kind found for a region is kept.
 */
function mergeSpans(spans: SecretSpan[]): SecretSpan[] {
  const sorted = [...spans].sort((left, right) => left.start - right.start || right.end - left.end);
  const merged: SecretSpan[] = [];
  for (const span of sorted) {
    const last = merged.at(-1);
    if (last !== undefined && span.start <= last.end) {
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
