/** One line of a segment, as stored. */
export interface SegmentLine {
  /** The line's bytes without the newline. */
  readonly bytes: Buffer;
  /** Position in the segment, from 1. */
  readonly number: number;
  /**
   * Whether a newline ended it. Segments are written whole and end with a newline, so only a
   * cut file has a last line without one.
   */
  readonly complete: boolean;
}

const newline = 0x0a;

/**
 * Splits a segment's byte stream into lines on the newline byte (never part of a multi-byte
 * UTF-8 character, so splitting bytes is safe), holding one line at a time: the hash covers
 * the exact stored bytes, not a re-encoding of decoded text.
 */
export async function* segmentLines(
  stream: AsyncIterable<Uint8Array | string>,
): AsyncGenerator<SegmentLine> {
  let carried: Buffer[] = [];
  let number = 0;
  for await (const chunk of stream) {
    const bytes = typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : Buffer.from(chunk);
    let start = 0;
    let end = bytes.indexOf(newline, start);
    while (end !== -1) {
      carried.push(bytes.subarray(start, end));
      number += 1;
      yield {
        bytes: carried.length === 1 ? (carried[0] as Buffer) : Buffer.concat(carried),
        number,
        complete: true,
      };
      carried = [];
      start = end + 1;
      end = bytes.indexOf(newline, start);
    }
    if (start < bytes.length) carried.push(bytes.subarray(start));
  }
  if (carried.length > 0) {
    number += 1;
    yield { bytes: Buffer.concat(carried), number, complete: false };
  }
}
