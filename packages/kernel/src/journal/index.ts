export * from './journal-events.js';
export {
  defaultMaxPollIntervalMs,
  defaultPollIntervalMs,
  type FollowJournalOptions,
  followJournal,
} from './journal-follow.js';
export { genesisHashOf, type JournalHead, journalHashOf } from './journal-hash.js';
export { type ReadJournalOptions, readJournal } from './journal-reader.js';
export {
  type JournalProblem,
  type JournalProblemKind,
  type JournalVerification,
  type VerifyJournalOptions,
  verifyJournal,
} from './journal-verify.js';
export {
  type JournalWriter,
  journalSegmentContentType,
  maxJournalEntryBytes,
  maxSegmentTakenInARow,
  openJournalWriter,
} from './journal-writer.js';
export {
  defaultFlushIntervalMs,
  defaultMaxBufferedEntries,
  type JournalWriterOptions,
  journalWriterOptionsSchema,
} from './journal-writer-options.js';
