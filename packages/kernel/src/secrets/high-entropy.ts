/** Shortest run of token characters judged by {@link isHighEntropyToken}. */
export const shortestHighEntropyToken = 32;

/**
 * Runs of base64, base64url and hex characters at least {@link shortestHighEntropyToken}
 * long, with optional `=` padding. Runs are maximal because the scan is leftmost-first, up to
 * 4096 characters: longer runs come in pieces (an unbounded repetition overflows V8's regular
 * expression stack on a run of some megabytes).
 */
export const tokenCandidatePattern = /[A-Za-z0-9+/_-]{32,4096}={0,2}/g;

/** Longer runs are judged by this many characters from their start. */
const longestJudgedPrefix = 1024;

/** Subresource-integrity hashes (`sha512-…` in lockfiles) are digests, not secrets. */
const integrityHashPrefix = /^sha(?:1|256|384|512)-/;

/** UUIDs identify things (runs, requests, sessions of a tool); they are not credentials. */
const uuidPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

type CharacterClass = 'lower' | 'upper' | 'digit';

function classOf(character: string): CharacterClass | undefined {
  if (character >= 'a' && character <= 'z') return 'lower';
  if (character >= 'A' && character <= 'Z') return 'upper';
  if (character >= '0' && character <= '9') return 'digit';
  return undefined;
}

/** Shannon entropy of the characters of `text`, in bits per character. */
export function shannonEntropy(text: string): number {
  const counts = new Map<string, number>();
  for (const character of text) counts.set(character, (counts.get(character) ?? 0) + 1);
  let entropy = 0;
  for (const count of counts.values()) {
    const probability = count / text.length;
    entropy -= probability * Math.log2(probability);
  }
  return entropy;
}

/**
 * Whether a run of token characters (see {@link tokenCandidatePattern}) looks like a random
 * key rather than a path, an identifier or a word.
 *
 * Random strings switch between lowercase, uppercase and digits about every other
 * character; paths, package names and camelCase identifiers keep one class for a whole word.
 * The thresholds were set on samples: random base64 of 32 characters has entropy above 4.0
 * and a switch ratio above 0.3 in more than 99.9% of draws; random hex has entropy above 3.0.
 * Hex runs need no switch test (they are judged by entropy alone), so digests of 32 hex
 * characters and more (commit ids, checksums) are redacted too: a hex secret looks the same.
 */
export function isHighEntropyToken(candidate: string): boolean {
  if (candidate.length < shortestHighEntropyToken) return false;
  if (integrityHashPrefix.test(candidate) || uuidPattern.test(candidate)) return false;
  // The statistics of a long run (a notebook's base64 image) are plain from its start; judging
  // all of it would make a diff with a few such lines take seconds.
  const token = candidate.slice(0, longestJudgedPrefix);
  if (/^(?:[0-9a-f]+|[0-9A-F]+)$/.test(token)) {
    return /[0-9]/.test(token) && /[a-fA-F]/.test(token) && shannonEntropy(token) >= 3;
  }
  const classes: CharacterClass[] = [];
  for (const character of token) {
    const characterClass = classOf(character);
    if (characterClass !== undefined) classes.push(characterClass);
  }
  const present = new Set(classes);
  let switches = 0;
  for (let index = 1; index < classes.length; index += 1) {
    if (classes[index] !== classes[index - 1]) switches += 1;
  }
  const switchRatio = classes.length > 1 ? switches / (classes.length - 1) : 0;
  const entropy = shannonEntropy(token);
  if (present.size === 3) return switchRatio >= 0.3 && entropy >= 4;
  // One letter case plus digits: base32 (`JBSWY3DPEHPK3PXP…`) and lowercase base36 keys.
  if (present.size === 2 && present.has('digit')) {
    const digits = classes.filter((characterClass) => characterClass === 'digit').length;
    return digits >= 4 && switchRatio >= 0.25 && entropy >= 3.5;
  }
  return false;
}
