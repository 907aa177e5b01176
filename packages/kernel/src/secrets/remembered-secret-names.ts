import { isSecretVariableName } from './secret-names.js';

/**
 * Verdicts of {@link isSecretVariableName} by name. The same names come back at every scrub
 * (the process's variables, `key`, `token`, `Authorization`…); bounded because the names met
 * in texts and in environments passed by callers can be anything.
 */
const verdicts = new Map<string, boolean>();
const mostRememberedNames = 4096;

/** {@link isSecretVariableName} without extra names, remembered for the names seen lately. */
export function isSecretNameRemembered(name: string): boolean {
  const known = verdicts.get(name);
  if (known !== undefined) return known;
  const verdict = isSecretVariableName(name);
  if (verdicts.size >= mostRememberedNames) verdicts.clear();
  verdicts.set(name, verdict);
  return verdict;
}
