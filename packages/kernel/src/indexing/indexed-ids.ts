import { createHash } from 'node:crypto';
import { checkpointId, runId } from '../naming/layout.js';
import { maxNameLength, namePattern } from '../naming/names.js';
import { formatTimeStamp } from '../naming/time-id.js';

/** The time-id suffix alphabet (`timeIdPattern`): digits and lowercase letters but i, l, o, u. */
const suffixAlphabet = '0123456789abcdefghjkmnpqrstvwxyz';

/**
 * A 6-character time-id suffix derived from `text`: the first six bytes of its SHA-256, each
 * taken modulo 32 onto the suffix alphabet. The same text always gives the same suffix, which
 * is what lets a second `index` run find the sidecars of the first.
 */
export function derivedSuffix(text: string): string {
  const digest = createHash('sha256').update(text, 'utf8').digest();
  let suffix = '';
  for (let index = 0; index < 6; index++) {
    suffix += suffixAlphabet[(digest[index] as number) % suffixAlphabet.length];
  }
  return suffix;
}

/**
 * The id of an indexed checkpoint: `<step>/<time stamp>-<suffix>`, the time stamp from when the
 * checkpoint was made and the suffix {@link derivedSuffix} of its payload key. Two payloads
 * share an id only if they were made in the same millisecond and their keys' hashes agree in
 * all 30 bits.
 */
export function indexedCheckpointId(step: string, time: number, payloadKey: string): string {
  return checkpointId(step, `${formatTimeStamp(time)}-${derivedSuffix(payloadKey)}`);
}

/** The suffix an indexed checkpoint's id ends with, for finding its earlier sidecars. */
export function payloadSuffix(payloadKey: string): string {
  return derivedSuffix(payloadKey);
}

/**
 * The id of the run an indexed checkpoint is attributed to: `<pipeline>/<time stamp>-<suffix>`,
 * the time stamp from the run's start and the suffix {@link derivedSuffix} of `identity` (what
 * the source knows of the run: pipeline, id, name, group).
 */
export function indexedRunId(pipeline: string, time: number, identity: string): string {
  return runId(pipeline, `${formatTimeStamp(time)}-${derivedSuffix(`run\n${identity}`)}`);
}

/**
 * `text` as a pipeline or step name (`namePattern`): other characters become `_`, leading
 * `_`, `-` and `.` are dropped, Cairn's reserved `.cairn-` is broken up, and it is cut to the
 * longest name. Undefined when nothing is left.
 */
export function sanitiseName(text: string | undefined): string | undefined {
  if (text === undefined) return undefined;
  const cleaned = text
    .replace(/[^A-Za-z0-9_.-]+/g, '_')
    .replace(/\.cairn-/g, '_cairn-')
    .replace(/^[_.-]+/, '')
    .slice(0, maxNameLength);
  return cleaned !== '' && namePattern.test(cleaned) ? cleaned : undefined;
}
