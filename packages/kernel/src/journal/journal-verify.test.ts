import { beforeEach, describe, expect, it } from 'vitest';
import { runKeys } from '../naming/layout.js';
import { createMemoryStorage, type MemoryStorage } from '../storage/memory-storage.js';
import {
  journalTestRun as run,
  storedLines,
  writeTestJournal,
} from '../testing/journal-storage.js';
import { rejection } from '../testing/rejection.js';
import { genesisHashOf, type JournalHead, journalHashOf } from './journal-hash.js';
import { verifyJournal } from './journal-verify.js';

const keys = runKeys(run);
const segment = keys.journalSegment;

/** Replaces a segment's lines (each given without its newline). */
function rewrite(storage: MemoryStorage, number: number, lines: readonly string[]): void {
  storage.corrupt(segment(number), lines.map((line) => `${line}\n`).join(''));
}

/** A line with one field changed, still valid JSON and a valid entry. */
function edited(line: string): string {
  const entry = JSON.parse(line);
  return JSON.stringify({ ...entry, time: '2000-01-01T00:00:00.000Z' });
}

describe('verifyJournal', () => {
  let storage: MemoryStorage;
  let head: JournalHead;
  // Segments of 3, 4 and 3 entries: seq 1-3, 4-7, 8-10.
  beforeEach(async () => {
    storage = createMemoryStorage();
    head = await writeTestJournal(storage, [3, 4, 2], { finished: true });
  });

  it('passes an intact journal and reports its head', async () => {
    expect(await verifyJournal(storage, run, { expectedHead: head })).toEqual({
      ok: true,
      entries: 10,
      segments: 3,
      head,
      problems: [],
    });
  });

  it('passes a run without a journal, unless the run recorded entries', async () => {
    const empty = createMemoryStorage();
    expect(await verifyJournal(empty, run)).toEqual({
      ok: true,
      entries: 0,
      segments: 0,
      head: { entries: 0, hash: genesisHashOf(run) },
      problems: [],
    });
    const verification = await verifyJournal(empty, run, { expectedHead: head });
    expect(verification.ok).toBe(false);
    expect(verification.problems).toEqual([
      expect.objectContaining({ kind: 'truncated', seq: 1, segment: keys.journalPrefix }),
    ]);
  });

  it('finds an edited line where the chain breaks, at the next entry', async () => {
    const lines = await storedLines(storage, segment(2));
    lines[1] = edited(lines[1] as string);
    rewrite(storage, 2, lines);
    const verification = await verifyJournal(storage, run);
    expect(verification).toMatchObject({ ok: false, entries: 5, segments: 2 });
    expect(verification.problems).toEqual([
      expect.objectContaining({ kind: 'chain-broken', segment: segment(2), line: 3, seq: 6 }),
    ]);
    expect(verification.problems[0]?.message).toContain('entry 5 was edited');
  });

  it('finds an edited last line of a segment at the first line of the next', async () => {
    const lines = await storedLines(storage, segment(1));
    lines[2] = edited(lines[2] as string);
    rewrite(storage, 1, lines);
    const verification = await verifyJournal(storage, run);
    expect(verification.problems).toEqual([
      expect.objectContaining({ kind: 'chain-broken', segment: segment(2), line: 1, seq: 4 }),
    ]);
  });

  it('finds a line that no longer parses', async () => {
    const lines = await storedLines(storage, segment(2));
    lines[2] = (lines[2] as string).slice(0, -1);
    rewrite(storage, 2, lines);
    const verification = await verifyJournal(storage, run);
    expect(verification.entries).toBe(5);
    expect(verification.problems).toEqual([
      expect.objectContaining({ kind: 'unparseable', segment: segment(2), line: 3 }),
    ]);
  });

  it('finds a line that is not UTF-8', async () => {
    const lines = await storedLines(storage, segment(1));
    const bytes = Buffer.concat([
      Buffer.from(`${lines[0]}\n`),
      Buffer.from([0xff, 0xfe, 0x0a]),
      Buffer.from(`${lines[2]}\n`),
    ]);
    storage.corrupt(segment(1), bytes);
    expect((await verifyJournal(storage, run)).problems).toEqual([
      expect.objectContaining({ kind: 'unparseable', line: 2 }),
    ]);
  });

  it('finds a line that parses but is not an entry', async () => {
    const lines = await storedLines(storage, segment(3));
    const entry = JSON.parse(lines[0] as string);
    lines[0] = JSON.stringify({ ...entry, event: { type: 'run-heartbeat-ish' } });
    rewrite(storage, 3, lines);
    const verification = await verifyJournal(storage, run);
    expect(verification.entries).toBe(7);
    expect(verification.problems).toEqual([
      expect.objectContaining({ kind: 'schema', segment: segment(3), line: 1, seq: 8 }),
    ]);
  });

  it('finds two lines swapped', async () => {
    const lines = await storedLines(storage, segment(2));
    rewrite(storage, 2, [lines[0], lines[2], lines[1], lines[3]] as string[]);
    const verification = await verifyJournal(storage, run);
    expect(verification.entries).toBe(4);
    expect(
      verification.problems.map((problem) => [problem.kind, problem.seq, problem.line]),
    ).toEqual([
      ['sequence-gap', 6, 2],
      ['chain-broken', 6, 2],
    ]);
  });

  it('finds a line deleted from the middle', async () => {
    const lines = await storedLines(storage, segment(2));
    rewrite(storage, 2, [lines[0], lines[2], lines[3]] as string[]);
    const verification = await verifyJournal(storage, run);
    expect(verification.problems.map((problem) => [problem.kind, problem.seq])).toEqual([
      ['sequence-gap', 6],
      ['chain-broken', 6],
    ]);
    expect(verification.problems[0]?.message).toContain('entries 5 to 5 are missing');
  });

  it('finds the last lines of a middle segment cut off', async () => {
    const lines = await storedLines(storage, segment(2));
    rewrite(storage, 2, lines.slice(0, 2));
    const verification = await verifyJournal(storage, run);
    expect(verification.entries).toBe(5);
    expect(
      verification.problems.map((problem) => [problem.kind, problem.segment, problem.seq]),
    ).toEqual([
      ['sequence-gap', segment(3), 8],
      ['chain-broken', segment(3), 8],
    ]);
  });

  it('finds a segment cut in the middle of a line', async () => {
    const lines = await storedLines(storage, segment(2));
    storage.corrupt(segment(2), `${lines[0]}\n${(lines[1] as string).slice(0, 20)}`);
    const verification = await verifyJournal(storage, run);
    expect(verification.entries).toBe(4);
    expect(verification.problems).toEqual([
      expect.objectContaining({ kind: 'truncated', segment: segment(2), line: 2, seq: 5 }),
    ]);
  });

  it('finds a segment deleted from the middle', async () => {
    await storage.delete(segment(2));
    const verification = await verifyJournal(storage, run);
    expect(verification.entries).toBe(3);
    expect(
      verification.problems.map((problem) => [problem.kind, problem.segment, problem.seq]),
    ).toEqual([
      ['segment-gap', segment(3), 4],
      ['sequence-gap', segment(3), 8],
      ['chain-broken', segment(3), 8],
    ]);
    expect(verification.problems[0]?.message).toContain('segment 2 is missing');
  });

  it('finds the first segment deleted', async () => {
    await storage.delete(segment(1));
    const verification = await verifyJournal(storage, run);
    expect(verification.entries).toBe(0);
    expect(verification.problems.map((problem) => problem.kind)).toEqual([
      'segment-gap',
      'sequence-gap',
      'chain-broken',
    ]);
    expect(verification.problems[2]?.message).toContain('first entry');
  });

  it('finds two segments swapped', async () => {
    const two = await storedLines(storage, segment(2));
    const three = await storedLines(storage, segment(3));
    rewrite(storage, 2, three);
    rewrite(storage, 3, two);
    const verification = await verifyJournal(storage, run);
    expect(verification.entries).toBe(3);
    expect(
      verification.problems.map((problem) => [problem.kind, problem.segment, problem.seq]),
    ).toEqual([
      ['sequence-gap', segment(2), 8],
      ['chain-broken', segment(2), 8],
    ]);
  });

  it('finds an empty segment', async () => {
    storage.corrupt(segment(2), '');
    const verification = await verifyJournal(storage, run);
    expect(verification.problems).toEqual([
      expect.objectContaining({ kind: 'truncated', segment: segment(2), seq: 4 }),
    ]);
  });

  it('finds the last segment removed only against the recorded head', async () => {
    await storage.delete(segment(3));
    expect(await verifyJournal(storage, run)).toMatchObject({ ok: true, entries: 7 });
    const verification = await verifyJournal(storage, run, { expectedHead: head });
    expect(verification.ok).toBe(false);
    expect(verification.entries).toBe(7);
    expect(verification.problems).toEqual([
      expect.objectContaining({ kind: 'truncated', segment: segment(2), seq: 8 }),
    ]);
    expect(verification.problems[0]?.message).toContain('the last 3 entries were cut off');
  });

  it('finds the last lines cut off only against the recorded head', async () => {
    const lines = await storedLines(storage, segment(3));
    rewrite(storage, 3, lines.slice(0, 2));
    expect((await verifyJournal(storage, run)).ok).toBe(true);
    const verification = await verifyJournal(storage, run, { expectedHead: head });
    expect(verification.problems).toEqual([
      expect.objectContaining({ kind: 'truncated', segment: segment(3), seq: 10 }),
    ]);
  });

  it('finds the last entry edited only against the recorded head', async () => {
    const lines = await storedLines(storage, segment(3));
    const entry = JSON.parse(lines[2] as string);
    lines[2] = JSON.stringify({ ...entry, event: { ...entry.event, state: 'FAILED' } });
    rewrite(storage, 3, lines);
    expect((await verifyJournal(storage, run)).ok).toBe(true);
    const verification = await verifyJournal(storage, run, { expectedHead: head });
    expect(verification.entries).toBe(10);
    expect(verification.problems).toEqual([
      expect.objectContaining({ kind: 'chain-broken', segment: segment(3), line: 3, seq: 10 }),
    ]);
  });

  it('accepts a journal that grew past the recorded head, but only through it', async () => {
    const lines = await storedLines(storage, segment(2));
    const earlier = { entries: 6, hash: journalHashOf(lines[2] as string) };
    expect(await verifyJournal(storage, run, { expectedHead: earlier })).toMatchObject({
      ok: true,
      entries: 10,
    });
    const wrong = { entries: 6, hash: journalHashOf(lines[1] as string) };
    const verification = await verifyJournal(storage, run, { expectedHead: wrong });
    expect(verification.problems).toEqual([
      expect.objectContaining({ kind: 'chain-broken', seq: 6 }),
    ]);
  });

  it('refuses an empty recorded head of another run', async () => {
    const verification = await verifyJournal(storage, run, {
      expectedHead: { entries: 0, hash: genesisHashOf('other/20250810T143022.123Z-k3f9a2') },
    });
    expect(verification.problems).toEqual([expect.objectContaining({ kind: 'chain-broken' })]);
  });

  it('passes over keys in the journal folder that are not segments', async () => {
    await storage.put(`${keys.journalPrefix}notes.txt`, 'not part of the chain');
    await storage.put(`${keys.journalPrefix}000000000002.jsonl.tmp`, 'leftover');
    expect(await verifyJournal(storage, run, { expectedHead: head })).toMatchObject({
      ok: true,
      entries: 10,
    });
  });

  it('stops with ABORTED when its signal fires', async () => {
    const controller = new AbortController();
    controller.abort(new Error('stop'));
    expect((await rejection(verifyJournal(storage, run, { signal: controller.signal }))).code).toBe(
      'ABORTED',
    );
  });
});
