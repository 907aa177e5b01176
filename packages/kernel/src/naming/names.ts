import { CairnError } from '../errors/cairn-error.js';

/** What a name is for, used in error messages. */
export type NameKind = 'pipeline' | 'step' | 'run name' | 'checkpoint name';

/** Longest pipeline, step or run name, in characters. */
export const maxNameLength = 100;

/**
 * Pipeline, step and run names: one key segment made of letters, digits, `_`, `-` and `.`,
 * starting with a letter or digit. They appear in storage keys and ids, so they must be the
 * same on every backend and every file system.
 */
export const namePattern = /^[A-Za-z0-9][A-Za-z0-9_.-]*$/;

/**
 * Checks a pipeline, step or run name.
 * @throws CairnError `INVALID_OPTIONS` saying what is wrong and suggesting a valid name.
 */
export function validateName(kind: NameKind, name: string): void {
  const problem = findNameProblem(name);
  if (problem === undefined) return;
  const suggestion = typeof name === 'string' ? suggestName(name) : undefined;
  throw new CairnError({
    code: 'INVALID_OPTIONS',
    message: `The ${kind} name ${JSON.stringify(name)} is not valid: ${problem}. Names use letters, digits, "_", "-" and ".", start with a letter or digit, and are at most ${maxNameLength} characters${suggestion ? `; for example "${suggestion}"` : ''}.`,
    details: { kind, name },
  });
}

function findNameProblem(name: unknown): string | undefined {
  if (typeof name !== 'string') return 'it is not a string';
  if (name.length === 0) return 'it is empty';
  if (name.length > maxNameLength) return `it is ${name.length} characters long`;
  if (!namePattern.test(name)) {
    const bad = [...name].find((character) => !/[A-Za-z0-9_.-]/.test(character));
    return bad === undefined
      ? 'it starts with "_", "-" or "."'
      : `it contains ${JSON.stringify(bad)}`;
  }
  // storage-fs reserves these suffixes for nested keys; a name ending in one could not be stored.
  if (name.includes('.cairn-')) return 'it contains ".cairn-", which Cairn reserves';
  return undefined;
}

/** A valid name close to `name`, or undefined when nothing usable is left. */
function suggestName(name: string): string | undefined {
  const cleaned = name
    .replace(/[^A-Za-z0-9_.-]+/g, '_')
    .replace(/\.cairn-/g, '_cairn-')
    .replace(/^[_.-]+/, '')
    .slice(0, maxNameLength);
  return cleaned.length > 0 && findNameProblem(cleaned) === undefined ? cleaned : undefined;
}
