import type { Candidate, CompressedCandidate, CompressedCandidates } from './research-types.js';

/** Options for {@link compressCandidates}. */
export interface CompressOptions {
  /** Longest answer kept, in words; longer ones are cut and end with `…`. */
  readonly maxWords: number;
}

// Filler a model adds without saying anything more; dropping it makes equal answers look equal.
const hedges = [
  'basically',
  'honestly',
  'in a sense',
  'to be fair',
  'as it were',
  'you know',
  'kind of',
];
const hedgePattern = new RegExp(`\\b(?:${hedges.join('|')}),?\\s*`, 'gi');

/** An answer without hedges or runs of spaces, cut to `maxWords` words. */
export function shortenAnswer(
  text: string,
  maxWords: number,
): { text: string; truncated: boolean } {
  const words = text
    .replace(hedgePattern, '')
    .split(/\s+/)
    .filter((word) => word !== '');
  if (words.length <= maxWords) return { text: words.join(' '), truncated: false };
  const kept = words
    .slice(0, maxWords)
    .join(' ')
    .replace(/[,;:.]+$/, '');
  return { text: `${kept}…`, truncated: true };
}

/** What two answers that say the same thing have in common: words only, any case. */
function sameness(text: string): string {
  return text
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\s]/gu, '')
    .split(/\s+/)
    .filter((word) => word !== '')
    .join(' ');
}

/**
 * The `compress` step: drops hedges, shortens long answers and merges duplicates, so the
 * evaluation pays for each distinct answer once. The first candidate of each answer is kept
 * (in the order they came), the later ones are listed as its duplicates.
 */
export function compressCandidates(
  candidates: readonly Candidate[],
  options: CompressOptions,
): CompressedCandidates {
  const kept = new Map<string, { candidate: Candidate; text: string; truncated: boolean }>();
  const duplicates = new Map<string, string[]>();
  for (const candidate of candidates) {
    const shortened = shortenAnswer(candidate.text, options.maxWords);
    const key = sameness(shortened.text);
    const first = kept.get(key);
    if (first === undefined) {
      kept.set(key, { candidate, ...shortened });
      duplicates.set(candidate.id, []);
    } else {
      duplicates.get(first.candidate.id)?.push(candidate.id);
    }
  }
  const compressed: CompressedCandidate[] = [...kept.values()].map(
    ({ candidate, text, truncated }) => ({
      id: candidate.id,
      topic: candidate.topic,
      temperature: candidate.temperature,
      text,
      truncated,
      duplicates: duplicates.get(candidate.id) ?? [],
    }),
  );
  return {
    received: candidates.length,
    candidates: compressed,
    duplicatesRemoved: candidates.length - compressed.length,
  };
}
