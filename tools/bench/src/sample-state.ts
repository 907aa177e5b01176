/** A pipeline step's state as a JSON-like value, the kind both checkpointers store. */
export interface SampleState {
  /** Which round saved it: a load that returned another round's state is caught by it. */
  readonly round: number;
  /** Conversation-like text, the bulk of the bytes. */
  readonly messages: ReadonlyArray<{ readonly role: string; readonly content: string }>;
  /** Numbers, as a step keeps scores or counters. */
  readonly scores: readonly number[];
}

const words =
  'candidate answer compress evaluate synthesise report dataset model epoch precision recall hmean checkpoint resume pipeline step item'.split(
    ' ',
  );

/**
 * A state whose JSON text is about `targetBytes` long (within one message of it), the same
 * text every round except `round`, so neither side can skip work by caching a result.
 */
export function sampleState(round: number, targetBytes: number): SampleState {
  const messages: Array<{ role: string; content: string }> = [];
  const scores = Array.from(
    { length: 16 },
    (_, index) => Math.round(1000 * Math.sin(index)) / 1000,
  );
  const state = { round, messages, scores };
  let size = JSON.stringify(state).length;
  for (let index = 0; size < targetBytes; index++) {
    const content = Array.from(
      { length: 24 },
      (_, position) => words[(index * 7 + position * 3) % words.length],
    ).join(' ');
    const message = { role: index % 2 === 0 ? 'user' : 'assistant', content };
    messages.push(message);
    size += JSON.stringify(message).length + 1;
  }
  return state;
}
