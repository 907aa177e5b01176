import { isSecretNameRemembered } from './remembered-secret-names.js';
import { nameParts } from './secret-names.js';
import { redactedMarker } from './secret-shapes.js';

/** Where a secret sits in a text, found by what surrounds it: `text.slice(start, end)`. */
export interface ContextSecretSpan {
  readonly start: number;
  readonly end: number;
}

// Every repetition is bounded, as in the shape patterns: an error may quote a whole response.

/**
 * The credentials of an `Authorization` header, in a header dump, a JSON body or a Python
 * dict: up to the closing quote or the end of the line, since some schemes send several
 * parts. A known scheme is kept (it tells a reader what kind of credential was sent); an
 * unknown word is hidden with the rest, so a bare `Authorization: sk-…` is never taken for one.
 */
const authorizationPattern =
  /(?<![A-Za-z0-9_-])(?:proxy-)?authori[sz]ation\\?["']?[ \t]{0,8}[:=][ \t]{0,8}\\?["']?(?:(?:bearer|basic|token|digest|negotiate|ntlm|bot|apikey|key|oauth|jwt|ssws|aws4-hmac-sha256)[ \t]{1,8})?([^\s"'\\](?:[^\r\n"'\\]{0,4094}[^\s"'\\])?)/dgi;

/** `Bearer <token>` anywhere, e.g. a curl command line quoted in a message. */
const bearerPattern = /(?<![A-Za-z0-9_-])bearer[ \t]{1,8}([A-Za-z0-9._~+/=-]{8,4096})/dgi;

/**
 * `name=value`, `name: value`, `"name": "value"`, `'name': 'value'` and their escaped forms
 * inside a JSON string (`\"name\":\"value\"`). Groups: 3 the separator, 4 the value's
 * quote, 5 a quoted value, 6 a bare one. A `-` may come before the name, so `--api-key=…`
 * counts. The value is only looked at, not consumed, so pairs inside it are found too (the
 * bare value after `https:` is the rest of a URL, `?key=…` included); a bare value stops at
 * `:` and `=` (but keeps base64 padding) so each character is looked at a bounded number of
 * times.
 */
const namedValuePattern =
  /(?<![A-Za-z0-9_.])(\\?["']|)([A-Za-z][A-Za-z0-9_.-]{0,63})\1[ \t]{0,8}([:=])[ \t]{0,8}(?=(\\?["'])([^\r\n]{0,4096}?)\4|([^\s"'`&,;:=<>{}[\]()\\]{1,4096}={0,2}))/dg;

/** Values that are never secrets, whatever they are called. */
const plainValues: ReadonlySet<string> = new Set([
  'true',
  'false',
  'null',
  'undefined',
  'none',
  'nil',
]);

/**
 * Whether a name marks its value secret in an error text. Token counts (`max_tokens`,
 * `prompt_tokens`) are everywhere in LLM errors and are not credentials.
 */
function isSecretName(name: string): boolean {
  if (!isSecretNameRemembered(name)) return false;
  return nameParts(name).at(-1) !== 'tokens';
}

/**
 * Whether the value after a secret name is worth hiding. After `name: ` without quotes the
 * text may be prose (`token: expected a string`) or a stack frame (`key-store.ts:12:5`), so
 * there a value must look like data: six characters or more, not only letters, not only
 * digits and separators.
 */
function isSecretValue(name: string, value: string, bareAfterColon: boolean): boolean {
  if (value.length === 0 || !/[A-Za-z0-9]/.test(value)) return false;
  if (value.startsWith(redactedMarker) || plainValues.has(value.toLowerCase())) return false;
  if (!bareAfterColon) return true;
  if (/\.[A-Za-z]{1,5}$/.test(name)) return false;
  return value.length >= 6 && /[^A-Za-z]/.test(value) && !/^[0-9.:+-]+$/.test(value);
}

/** A bearer token, as opposed to the word that follows `bearer` in prose. */
function isBearerToken(token: string): boolean {
  return /[0-9._~+/=-]/.test(token) || (/[a-z]/.test(token) && /[A-Z]/.test(token.slice(1)));
}

function spanOf(match: RegExpMatchArray, group: number): ContextSecretSpan | undefined {
  const range = match.indices?.[group];
  if (range === undefined || range[1] <= range[0]) return undefined;
  return { start: range[0], end: range[1] };
}

/**
 * Secrets recognised by what surrounds them rather than by their shape: the credentials of
 * `Authorization` headers, `Bearer` tokens, and the values of names that mark a secret
 * (`api_key=…`, `"password": "…"`, `X-Api-Key: …`, `?key=…` in a URL; see
 * `isSecretVariableName`). Sorted and not overlapping.
 */
export function findContextSecrets(text: string): ContextSecretSpan[] {
  const spans: ContextSecretSpan[] = [];
  const add = (span: ContextSecretSpan | undefined) => {
    if (span !== undefined) spans.push(span);
  };
  for (const match of text.matchAll(authorizationPattern)) {
    const credentials = match[1] ?? '';
    if (!credentials.startsWith(redactedMarker)) add(spanOf(match, 1));
  }
  for (const match of text.matchAll(bearerPattern)) {
    if (isBearerToken(match[1] ?? '')) add(spanOf(match, 1));
  }
  for (const match of text.matchAll(namedValuePattern)) {
    const name = match[2] ?? '';
    if (!isSecretName(name)) continue;
    const quoted = match[4] !== undefined;
    const value = (quoted ? match[5] : match[6]) ?? '';
    if (!isSecretValue(name, value, !quoted && match[3] === ':')) continue;
    add(spanOf(match, quoted ? 5 : 6));
  }
  return mergeSpans(spans);
}

function mergeSpans(spans: ContextSecretSpan[]): ContextSecretSpan[] {
  const sorted = [...spans].sort((left, right) => left.start - right.start);
  const merged: ContextSecretSpan[] = [];
  for (const span of sorted) {
    const last = merged.at(-1);
    if (last !== undefined && span.start <= last.end) {
      merged[merged.length - 1] = { start: last.start, end: Math.max(last.end, span.end) };
    } else {
      merged.push(span);
    }
  }
  return merged;
}

/** Replaces every secret found by {@link findContextSecrets} with `[redacted]`. */
export function scrubContextSecrets(text: string): string {
  const spans = findContextSecrets(text);
  if (spans.length === 0) return text;
  let result = '';
  let position = 0;
  for (const span of spans) {
    result += text.slice(position, span.start) + redactedMarker;
    position = span.end;
  }
  return result + text.slice(position);
}
