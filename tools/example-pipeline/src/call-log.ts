import { appendFileSync } from 'node:fs';
import type { SimulatedCall } from './simulated-llm.js';

/** A line of the call log: a call of the simulated model and the process that made it. */
export interface CallLogLine extends SimulatedCall {
  readonly pid: number;
}

/**
 * Appends every call of the simulated model to a file as a JSON line, synchronously, so the
 * line is on disk before the caller sees the answer: a test reads it to prove that a resumed
 * run never paid twice for an answer it already had.
 *
 * @returns the simulated model's `onCall` callback.
 */
export function createCallLog(path: string): (call: SimulatedCall) => void {
  return (call) => {
    const line: CallLogLine = { ...call, pid: process.pid };
    appendFileSync(path, `${JSON.stringify(line)}\n`, 'utf8');
  };
}
