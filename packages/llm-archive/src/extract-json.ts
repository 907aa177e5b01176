import { CairnError } from '@cairn/kernel';
import type { z } from 'zod';

/** The most of a raw answer an error message quotes. */
const quotedCharacters = 300;

function notJson(text: string, problem: string): CairnError {
  return new CairnError({
    code: 'CORRUPT_DATA',
    backend: 'llm-archive',
    retryable: true,
    message: `The model's answer holds no usable JSON: ${problem}. It began: ${JSON.stringify(text.slice(0, quotedCharacters))}`,
    details: { errorClass: 'InvalidResponse', raw: text.slice(0, 10_000) },
  });
}

/**
 * The first complete JSON object or array in `text` starting at `from`, found by matching
 * brackets outside strings (so braces inside strings do not count), or undefined.
 */
function balancedFrom(text: string, from: number): string | undefined {
  const open = text[from];
  const close = open === '{' ? '}' : ']';
  let depth = 0;
  let inString = false;
  for (let index = from; index < text.length; index += 1) {
    const character = text[index];
    if (inString) {
      if (character === '\\') index += 1;
      else if (character === '"') inString = false;
      continue;
    }
    if (character === '"') inString = true;
    else if (character === open) depth += 1;
    else if (character === close) {
      depth -= 1;
      if (depth === 0) return text.slice(from, index + 1);
    }
  }
  return undefined;
}

/**
 * The JSON in a model's answer, however it was wrapped: the whole text, a fenced block
 * (```` ```json … ``` ```` or a bare fence), or the first object or array that parses amid
 * prose before or after it.
 *
 * @throws CairnError `CORRUPT_DATA`, retryable, `details.errorClass` `InvalidResponse`, with
 *   the raw answer in `details.raw`, when nothing parses.
 */
export function extractJson(text: string): unknown {
  const trimmed = text.trim();
  const attempts: string[] = [trimmed];
  for (const match of trimmed.matchAll(/```[a-zA-Z0-9_-]*[ \t]*\r?\n([\s\S]*?)```/g)) {
    if (match[1] !== undefined) attempts.push(match[1].trim());
  }
  for (const candidate of attempts) {
    try {
      return JSON.parse(candidate);
    } catch {
      // Next candidate.
    }
  }
  for (let index = 0; index < trimmed.length; index += 1) {
    if (trimmed[index] !== '{' && trimmed[index] !== '[') continue;
    const block = balancedFrom(trimmed, index);
    if (block === undefined) continue;
    try {
      return JSON.parse(block);
    } catch {
      // A bracket in prose; keep looking.
    }
  }
  throw notJson(
    text,
    trimmed === ''
      ? 'it is empty'
      : 'no JSON value, fenced block or balanced object or array parses',
  );
}

/**
 * The JSON in an answer, checked with a zod schema.
 * @throws CairnError `CORRUPT_DATA` (retryable, `InvalidResponse`) when there is no JSON or it
 *   does not match, naming the first mismatch.
 */
export function parseJsonAnswer<Schema extends z.ZodType>(
  text: string,
  schema: Schema,
): z.output<Schema> {
  const value = extractJson(text);
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  throw notJson(
    text,
    `the JSON does not match the schema at "${issue?.path.join('.') || '(root)'}": ${issue?.message ?? 'mismatch'}`,
  );
}
