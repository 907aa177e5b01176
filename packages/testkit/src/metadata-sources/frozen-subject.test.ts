import { createMemoryStorage, type MetadataSubject } from '@cairn/kernel';
import { describe, expect, it } from 'vitest';
import { knownRecord } from '../testing/memory-metadata-source.js';
import { deepFreeze, frozenCopyOfSubject, subjectSnapshot } from './frozen-subject.js';

describe('frozenCopyOfSubject', () => {
  const subject: MetadataSubject = {
    id: knownRecord.id,
    payloadKey: 'checkpoints/train/x/payload',
    record: knownRecord,
    storage: createMemoryStorage(),
  };

  it('freezes the subject and a deep copy of its record, leaving the original alone', () => {
    const frozen = frozenCopyOfSubject(subject);
    expect(Object.isFrozen(frozen)).toBe(true);
    expect(Object.isFrozen(frozen.record?.metadata.notes)).toBe(true);
    expect(() => (frozen.record?.tags as string[] | undefined)?.push('x')).toThrow(TypeError);
    expect(Object.isFrozen(subject.record)).toBe(false);
    // The storage is live: freezing it could break the backend the source reads through.
    expect(frozen.storage).toBe(subject.storage);
    expect(Object.isFrozen(subject.storage)).toBe(false);
  });

  it('snapshots everything but the storage and the signal', () => {
    const snapshot = JSON.parse(
      subjectSnapshot({ ...subject, signal: new AbortController().signal }),
    );
    expect(Object.keys(snapshot).sort()).toEqual(['id', 'payloadKey', 'record']);
  });
});

describe('deepFreeze', () => {
  it('freezes nested arrays and objects', () => {
    const value = deepFreeze({ a: [{ b: 1 }] });
    expect(Object.isFrozen(value.a[0])).toBe(true);
  });
});
