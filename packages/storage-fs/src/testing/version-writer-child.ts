// One writer of the many-writers test, in its own Node process (through tsx, so it loads the
// TypeScript sources): `node --conditions=source --import tsx version-writer-child.ts
// '<storage description>' '<assignment>'`. The storage is chosen by the JSON description so
// the same harness (runManyVersionWriters in @cairn/testkit) drives any backend.
import type { Storage } from '@cairn/kernel';
import {
  ignoringConditionalCreates,
  parseVersionWriterAssignment,
  runVersionWriterChild,
} from '@cairn/testkit';
import { createFsStorage } from '../index.js';

/** Which storage a writer opens. */
export interface WriterStorageDescription {
  readonly backend: 'fs';
  /** The storage-fs root every writer shares. */
  readonly root: string;
  /** Drop `ifNoneMatch` from puts: the broken store the check must catch. */
  readonly ignoreIfNoneMatch?: boolean;
}

function openStorage(description: WriterStorageDescription): Storage {
  if (description.backend !== 'fs') throw new Error(`unknown backend ${description.backend}`);
  const storage = createFsStorage({ root: description.root });
  return description.ignoreIfNoneMatch === true ? ignoringConditionalCreates(storage) : storage;
}

const [description, assignment] = process.argv.slice(2);
if (description === undefined || assignment === undefined) {
  throw new Error("usage: version-writer-child.ts '<storage description>' '<assignment>'");
}
await runVersionWriterChild(
  () => openStorage(JSON.parse(description) as WriterStorageDescription),
  parseVersionWriterAssignment(assignment),
);
