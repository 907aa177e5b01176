import type { MetadataLookup, MetadataSource, MetadataSubject } from '@cairn/kernel';
import { expect } from 'vitest';
import { describeError } from '../storage/assertions.js';
import type { MetadataSourceFixture } from './metadata-source-check.js';

/** Which list of the fixture a subject comes from. */
export type SubjectKind = 'found' | 'notFound' | 'unusable';

/** A fixture subject with the label failure messages use, e.g. `found[1] (id "train/…")`. */
export interface LabelledSubject {
  readonly kind: SubjectKind;
  readonly index: number;
  readonly subject: MetadataSubject;
  readonly label: string;
}

/** A subject's label for failure messages: its list, index, id and payload key. */
export function labelOf(kind: SubjectKind, index: number, subject: MetadataSubject): string {
  const id = subject.id === undefined ? '' : `id "${subject.id}", `;
  return `${kind}[${index}] (${id}payloadKey "${subject.payloadKey}")`;
}

/** The fixture's subjects of the given kinds, labelled, in fixture order. */
export function subjectsOf(
  fixture: MetadataSourceFixture,
  kinds: readonly SubjectKind[] = ['found', 'notFound', 'unusable'],
): LabelledSubject[] {
  return kinds.flatMap((kind) =>
    (fixture[kind] ?? []).map((subject, index) => ({
      kind,
      index,
      subject,
      label: labelOf(kind, index, subject),
    })),
  );
}

/** What one lookup did: resolved with an outcome, or threw (synchronously or not). */
export type LookupAttempt =
  | { readonly settled: 'resolved'; readonly lookup: MetadataLookup }
  | { readonly settled: 'rejected'; readonly error: unknown };

/** Looks `subject` up and records what happened instead of throwing. */
export async function attemptLookup(
  source: MetadataSource,
  subject: MetadataSubject,
): Promise<LookupAttempt> {
  try {
    return { settled: 'resolved', lookup: await source.lookup(subject) };
  } catch (error) {
    return { settled: 'rejected', error };
  }
}

/** Looks `subject` up and fails the check, naming the subject, when the lookup rejects. */
export async function lookupOrFail(
  source: MetadataSource,
  subject: MetadataSubject,
  label: string,
): Promise<MetadataLookup> {
  const attempt = await attemptLookup(source, subject);
  if (attempt.settled === 'rejected') {
    return expect.fail(
      `${label}: the lookup rejected with ${describeError(attempt.error)}; a source answers not-found or unusable instead of throwing, except for ABORTED and configuration errors`,
    );
  }
  return attempt.lookup;
}

/** A one-line summary of an outcome for failure messages. */
export function summarizeLookup(lookup: MetadataLookup): string {
  if (typeof lookup !== 'object' || lookup === null)
    return `a ${typeof lookup} (${String(lookup)})`;
  if (lookup.status === 'found') return 'status "found"';
  return `status "${String(lookup.status)}" (reason: ${JSON.stringify(lookup.reason)})`;
}

/**
 * The outcome without `cached`, which may differ between two asks (the second may come from a
 * cache) without the answer being different.
 */
export function withoutCached(lookup: MetadataLookup): unknown {
  if (lookup?.status !== 'found' || typeof lookup.answer !== 'object' || lookup.answer === null)
    return lookup;
  const { cached: _cached, ...answer } = lookup.answer;
  return { ...lookup, answer };
}
