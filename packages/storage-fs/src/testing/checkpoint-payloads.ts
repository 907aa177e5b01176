import { createHash } from 'node:crypto';
import { isDeepStrictEqual } from 'node:util';
import { createSeededRandom } from '@cairn/kernel';

// Deterministic checkpoint payloads for the crash harness and the corruption tests: the
// content of checkpoint number `counter` is a pure function of `counter`, so a process that
// shares nothing with the writer can say whether what it loaded is exactly what was saved.

/** Smallest payload filler, in bytes. */
export const minimumPayloadBytes = 1024;
/** Largest payload filler, in bytes. */
export const maximumPayloadBytes = 512 * 1024;

/** How checkpoint `counter` is saved: as JSON state, or as a raw body stream. */
export type PayloadKind = 'state' | 'body';

/** The JSON state saved for a `state` checkpoint. */
export interface CrashState {
  readonly counter: number;
  readonly filler: string;
}

/** Every third checkpoint goes through `save({ body })` as a stream, the rest through `state`. */
export function payloadKind(counter: number): PayloadKind {
  return counter % 3 === 0 ? 'body' : 'state';
}

/** Filler bytes of checkpoint `counter`: from 1 KiB to 512 KiB, spread evenly in log scale. */
export function fillerBytes(counter: number): number {
  const exponent = createSeededRandom(counter * 7919 + 1)() * 9;
  return Math.min(maximumPayloadBytes, Math.round(minimumPayloadBytes * 2 ** exponent));
}

/**
 * Milliseconds the writer "computes" after checkpoint `counter`: none for half of them, 5 to
 * 60 for the others, so kills land between saves as well as inside them.
 */
export function thinkTimeMs(counter: number): number {
  return counter % 2 === 0 ? 0 : 5 + Math.floor(createSeededRandom(counter * 104_729)() * 56);
}

const blocks = new Map<number, string>();

/** 1 KiB of hex unique to `counter`, so bytes of two checkpoints never look alike. */
function blockOf(counter: number): string {
  let block = blocks.get(counter);
  if (block === undefined) {
    block = '';
    let link = `cairn-crash-${counter}`;
    while (block.length < 1024) {
      link = createHash('sha256').update(link).digest('hex');
      block += link;
    }
    blocks.set(counter, block);
    if (blocks.size > 64) blocks.delete(blocks.keys().next().value as number);
  }
  return block;
}

/** The filler string of checkpoint `counter` ({@link fillerBytes} ASCII characters). */
export function fillerOf(counter: number): string {
  const length = fillerBytes(counter);
  const block = blockOf(counter);
  return block.repeat(Math.ceil(length / block.length)).slice(0, length);
}

/** The state saved for checkpoint `counter` when its kind is `state`. */
export function expectedState(counter: number): CrashState {
  return { counter, filler: fillerOf(counter) };
}

const bodyHeader = /^cairn-crash-body (\d+)\n/;

/** The bytes saved for checkpoint `counter` when its kind is `body`. */
export function expectedBody(counter: number): Buffer {
  return Buffer.from(`cairn-crash-body ${counter}\n${fillerOf(counter)}`, 'utf8');
}

/**
 * The body of checkpoint `counter` as a stream of 64 KiB chunks that yields to the event loop
 * between chunks, so a kill can land while the stream is half consumed.
 */
export async function* bodyStream(counter: number): AsyncGenerator<Buffer> {
  const bytes = expectedBody(counter);
  for (let start = 0; start < bytes.length; start += 64 * 1024) {
    await new Promise((resolve) => setImmediate(resolve));
    yield bytes.subarray(start, start + 64 * 1024);
  }
}

/** What a loaded payload turned out to be. */
export interface PayloadFacts {
  /** The counter the payload says it belongs to, when it says. */
  readonly counter?: number;
  /** Whether it is exactly the payload of that counter. */
  readonly matches: boolean;
  /** Why not, when it is not. */
  readonly reason?: string;
}

/**
 * Tells which checkpoint a loaded payload is and whether it is exactly what was saved for it:
 * `state` is what `load` returned for a checkpoint of `codec` (`json` or `raw`).
 */
export function describePayload(codec: string, state: unknown): PayloadFacts {
  if (codec === 'raw') {
    if (!Buffer.isBuffer(state))
      return { matches: false, reason: 'a raw load did not return bytes' };
    const match = bodyHeader.exec(state.subarray(0, 64).toString('latin1'));
    if (match?.[1] === undefined)
      return { matches: false, reason: 'the body has no counter header' };
    const counter = Number(match[1]);
    const expected = expectedBody(counter);
    if (state.equals(expected)) return { counter, matches: true };
    return {
      counter,
      matches: false,
      reason: `the body of ${counter} has ${state.length} bytes${state.length === expected.length ? ' that differ' : ''}, expected ${expected.length}`,
    };
  }
  if (codec !== 'json') return { matches: false, reason: `unexpected codec ${codec}` };
  const counter = (state as Partial<CrashState> | null)?.counter;
  if (typeof counter !== 'number' || !Number.isSafeInteger(counter)) {
    return { matches: false, reason: 'the state has no counter' };
  }
  const expected = expectedState(counter);
  if (isDeepStrictEqual(state, expected)) return { counter, matches: true };
  const filler = (state as Partial<CrashState>).filler;
  return {
    counter,
    matches: false,
    reason: `the state of ${counter} differs: filler of ${typeof filler === 'string' ? filler.length : typeof filler} characters, expected ${expected.filler.length}`,
  };
}
