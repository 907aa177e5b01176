import type { z } from 'zod';
import { type JournalEntry, journalEntrySchema } from './journal-events.js';

/** Why a stored line is not a journal entry. */
export interface LineFault {
  /** Not JSON (or not UTF-8), or JSON that is not an entry. */
  readonly kind: 'unparseable' | 'schema';
  /** What is wrong, starting lowercase. */
  readonly message: string;
  /** The line's `seq`, when it could be read. */
  readonly seq?: number;
}

/** A stored line read back: the entry, or what is wrong with it. */
export type ParsedLine =
  | { readonly ok: true; readonly entry: JournalEntry }
  | ({ readonly ok: false } & LineFault);

const decoder = new TextDecoder('utf-8', { fatal: true });

/** `path: message` for each zod issue, the way option errors read. */
export function describeIssues(issues: readonly z.core.$ZodIssue[], root: string): string {
  return issues
    .map((issue) => `${issue.path.length === 0 ? root : issue.path.join('.')}: ${issue.message}`)
    .join('; ');
}

/** Decodes, parses and validates one stored line (bytes without the newline). */
export function parseJournalLine(bytes: Uint8Array): ParsedLine {
  let value: unknown;
  try {
    value = JSON.parse(decoder.decode(bytes));
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    return { ok: false, kind: 'unparseable', message: `not a JSON line (${reason})` };
  }
  const parsed = journalEntrySchema.safeParse(value);
  if (parsed.success) return { ok: true, entry: parsed.data };
  // The seq, when readable, places the fault even though the entry as a whole is bad.
  const seq = (value as { seq?: unknown } | null)?.seq;
  return {
    ok: false,
    kind: 'schema',
    message: `not a journal entry: ${describeIssues(parsed.error.issues, 'entry')}`,
    ...(typeof seq === 'number' && Number.isSafeInteger(seq) ? { seq } : {}),
  };
}
