import { redactedMarker, type ScrubResult, scrubSecretShapes } from '../secrets/secret-shapes.js';

/** Replaces every occurrence of the known secret values, longest first, then shaped secrets. */
export function scrubText(text: string, secretValues: ReadonlySet<string>): ScrubResult {
  let result = text;
  let redactions = 0;
  const longestFirst = [...secretValues].sort((left, right) => right.length - left.length);
  for (const secret of longestFirst) {
    const pieces = result.split(secret);
    redactions += pieces.length - 1;
    result = pieces.join(redactedMarker);
  }
  const shaped = scrubSecretShapes(result);
  return { text: shaped.text, redactions: redactions + shaped.redactions };
}

/**
 * Lines a diff needs as they are and that hold no secret in clear: `index <id>..<id>` (full
 * object ids, which look like hex keys) and the base85 data of `GIT binary patch` sections,
 * which runs until the next file's `diff --git` line.
 */
function isVerbatimLine(line: string, inBinaryPatch: boolean): boolean {
  return inBinaryPatch || /^index [0-9a-f]+\.\.[0-9a-f]+/.test(line);
}

/**
 * Scrubs a git diff of known secret values and shaped secrets while keeping it a diff: the
 * object ids in `index` lines and binary patch data are left alone, and private key blocks
 * keep their line markers. Secrets may span lines (a PEM key), so the lines between two
 * verbatim lines are scrubbed together.
 */
export function scrubGitDiff(diff: string, secretValues: ReadonlySet<string>): ScrubResult {
  const lines = diff.split('\n');
  const output: string[] = [];
  let pending: string[] = [];
  let redactions = 0;
  let inBinaryPatch = false;
  const flush = () => {
    if (pending.length === 0) return;
    const scrubbed = scrubText(pending.join('\n'), secretValues);
    output.push(scrubbed.text);
    redactions += scrubbed.redactions;
    pending = [];
  };
  for (const line of lines) {
    if (line.startsWith('diff --git ')) inBinaryPatch = false;
    if (isVerbatimLine(line, inBinaryPatch)) {
      flush();
      output.push(line);
    } else {
      pending.push(line);
    }
    if (line === 'GIT binary patch') inBinaryPatch = true;
  }
  flush();
  return { text: output.join('\n'), redactions };
}
