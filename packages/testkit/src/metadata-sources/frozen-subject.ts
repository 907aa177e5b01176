import type { MetadataSubject } from '@cairn/kernel';

/** Freezes `value` and every plain object and array inside it, and returns it. */
export function deepFreeze<Value>(value: Value): Value {
  if (typeof value !== 'object' || value === null || Object.isFrozen(value)) return value;
  Object.freeze(value);
  for (const key of Object.getOwnPropertyNames(value)) {
    deepFreeze((value as Record<string, unknown>)[key]);
  }
  return value;
}

/**
 * A copy of `subject` that a source cannot change: the subject and a deep copy of its record
 * are frozen, so an assignment throws in strict code. The storage and the signal are live
 * objects the source only uses; they are kept as they are.
 */
export function frozenCopyOfSubject(subject: MetadataSubject): MetadataSubject {
  const copy: MetadataSubject = {
    ...subject,
    ...(subject.record === undefined
      ? {}
      : { record: deepFreeze(structuredClone(subject.record)) }),
  };
  return Object.freeze(copy);
}

/**
 * A JSON picture of everything in `subject` but its storage and signal (live objects), to
 * compare before and after a lookup.
 */
export function subjectSnapshot(subject: MetadataSubject): string {
  const { storage: _storage, signal: _signal, ...data } = subject;
  return JSON.stringify(data);
}
