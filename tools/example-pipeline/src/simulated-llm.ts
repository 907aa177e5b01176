import { CairnError, createSeededRandom } from '@cairn/kernel';
import type {
  Candidate,
  GenerationRequest,
  ModelCallOptions,
  ResearchModel,
} from './research-types.js';

/** One call the simulated model answered, failed or abandoned; see {@link SimulatedLlmOptions.onCall}. */
export interface SimulatedCall {
  readonly operation: 'generate' | 'score';
  /** The candidate the call was about. */
  readonly id: string;
  /** The caller's attempt number, from 1. */
  readonly attempt: number;
  readonly outcome: 'answered' | 'transient-failure' | 'refused' | 'aborted';
}

/** Options for {@link createSimulatedLlm}. */
export interface SimulatedLlmOptions {
  /** Seed of every random choice (texts, latencies, faults), so runs are repeatable. */
  readonly seed: number;
  /** Mean latency of one call, in milliseconds; each call takes between half and 1.5 times it. */
  readonly latencyMs: number;
  /** Share of attempts that fail with a transient error (0 to 1). */
  readonly transientFailureRate: number;
  /**
   * Attempts of one call that may fail transiently (default 2): later attempts always answer,
   * so a retry policy with more attempts than this recovers every transient failure.
   */
  readonly transientAttempts?: number;
  /** Candidate ids the model always refuses to write: a bad item that no retry fixes. */
  readonly refusedIds?: ReadonlySet<string>;
  /** Told about every call as it ends, e.g. to keep a log of what was paid for. */
  readonly onCall?: (call: SimulatedCall) => void;
}

const openers = [
  'The key point is that',
  'Evidence suggests',
  'Put simply,',
  'Field studies show',
  'Most models agree',
];
const predicates = [
  'shift with the seasons',
  'respond to long-term warming',
  'follow a cycle set by the moon',
  'reshape the coastline',
  'store more energy than expected',
  'move faster at night',
  'depend on local winds',
  'leave records in sediment',
];
const reasons = [
  'because small forces add up over time',
  'since feedback loops amplify each change',
  'as measurements over decades confirm',
  'although the data are still sparse',
  'which matters for planning',
];
const hedges = ['basically', 'honestly', 'in a sense', 'to be fair', 'as it were'];
const tails = ['and so on', 'and there is much more to say about that', 'among many other things'];

/**
 * A slow, flaky stand-in for an LLM that writes candidate answers and judges them (the pipeline
 * takes any {@link ResearchModel}; a real client would fit the same shape). Everything it does is a function of the seed and the
 * call's input (and attempt), never of call order, so concurrent calls and a resumed run see
 * the same texts, scores and faults:
 *
 * - a low temperature repeats itself (few distinct answers per topic), a high one rambles
 *   with hedges, which gives the compress step duplicates and padding to remove;
 * - some attempts fail with a retryable `TRANSIENT_IO` (a 503), at most `transientAttempts`
 *   in a row;
 * - candidates in `refusedIds` always fail with a permanent error.
 */
export function createSimulatedLlm(options: SimulatedLlmOptions): ResearchModel {
  const transientAttempts = options.transientAttempts ?? 2;
  const randomFor = (...parts: readonly (string | number)[]) =>
    createSeededRandom((hashText(parts.join('\u0000')) ^ options.seed) >>> 0);

  const call = async <Result>(
    operation: SimulatedCall['operation'],
    id: string,
    { attempt, signal }: ModelCallOptions,
    answer: () => Result,
  ): Promise<Result> => {
    const report = (outcome: SimulatedCall['outcome']) =>
      options.onCall?.({ operation, id, attempt, outcome });
    const random = randomFor(operation, id, attempt);
    try {
      await delay(options.latencyMs * (0.5 + random()), signal);
    } catch (error) {
      report('aborted');
      throw error;
    }
    if (operation === 'generate' && options.refusedIds?.has(id)) {
      report('refused');
      throw new CairnError({
        code: 'PERMANENT_IO',
        backend: 'simulated-llm',
        message: `The model refused to write ${id}: its prompt trips the content filter. Change the prompt; retrying will not help.`,
        details: { id },
      });
    }
    if (attempt <= transientAttempts && random() < options.transientFailureRate) {
      report('transient-failure');
      throw new CairnError({
        code: 'TRANSIENT_IO',
        backend: 'simulated-llm',
        message: 'The model answered 503 Service Unavailable; try again.',
        details: { id, attempt },
      });
    }
    const result = answer();
    report('answered');
    return result;
  };

  return {
    generate: (request, callOptions) =>
      call('generate', request.id, callOptions, () => ({
        id: request.id,
        topic: request.topic,
        temperature: request.temperature,
        text: writeAnswer(request, randomFor),
      })),
    score: (candidate, callOptions) =>
      call('score', candidate.id, callOptions, () => ({
        id: candidate.id,
        score: judge(candidate),
      })),
  };
}

function writeAnswer(
  request: GenerationRequest,
  randomFor: (...parts: readonly (string | number)[]) => () => number,
): string {
  // Hotter sampling has more distinct answers to draw from; a cold model keeps repeating one
  // of a couple.
  const variants = Math.max(1, Math.round(request.temperature * 8));
  const variant = request.sample % variants;
  const random = randomFor('answer', request.topic, request.temperature, variant);
  const pick = (words: readonly string[]) => words[Math.floor(random() * words.length)] ?? '';
  const words = `${pick(openers)} ${request.topic} ${pick(predicates)}, ${pick(reasons)}`.split(
    ' ',
  );
  const hedgeCount = Math.floor(random() * request.temperature * 3);
  for (let inserted = 0; inserted < hedgeCount; inserted++) {
    const position = 1 + Math.floor(random() * (words.length - 1));
    words.splice(position, 0, `${pick(hedges)},`);
  }
  let text = `${words.join(random() < request.temperature / 3 ? '  ' : ' ')}.`;
  if (random() < request.temperature / 2) {
    const tail = `${pick(tails)}, ${pick(tails)}.`;
    text += ` ${tail.charAt(0).toUpperCase()}${tail.slice(1)}`;
  }
  return text;
}

/** A plausible judge: mostly the text's luck, plus a preference for moderate temperatures. */
function judge(candidate: Candidate): number {
  const luck = (hashText(candidate.text) % 1000) / 1000;
  const moderation = Math.max(0, 1 - Math.abs(candidate.temperature - 0.7));
  return Math.round((0.3 + 0.5 * luck + 0.2 * moderation) * 1000) / 1000;
}

/** FNV-1a: a stable 32-bit hash of a string. */
function hashText(text: string): number {
  let hash = 0x811c9dc5;
  for (const character of text) {
    hash ^= character.codePointAt(0) ?? 0;
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash;
}

function delay(milliseconds: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal.reason);
    };
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, milliseconds);
    signal.addEventListener('abort', onAbort, { once: true });
  });
}
