import type { MetadataSourceCheck, MetadataSourceFixture } from './metadata-source-check.js';

/** What running one check found: it passed, or it does not apply to the fixture. */
export type MetadataSourceCheckResult =
  | { readonly status: 'passed' }
  | { readonly status: 'skipped'; readonly reason: string };

function fixtureProblem(fixture: MetadataSourceFixture): string | undefined {
  if (typeof fixture?.source?.lookup !== 'function') return 'it has no source with a lookup()';
  if (!Array.isArray(fixture.found) || fixture.found.length === 0)
    return 'it gives no found subjects (give at least one)';
  if (!Array.isArray(fixture.notFound) || fixture.notFound.length === 0)
    return 'it gives no notFound subjects (give at least one)';
  if ((fixture.expected?.length ?? 0) > fixture.found.length)
    return `it gives ${fixture.expected?.length} expected answers for ${fixture.found.length} found subjects (expected[i] describes found[i])`;
  return undefined;
}

/**
 * Makes a fresh fixture with `create`, runs `check` against it (or reports why it does not
 * apply), then closes the source (when it has `close()`) and calls the fixture's `destroy`.
 * Rejects with the check's failure, or with a teardown failure when the check passed.
 */
export async function runMetadataSourceCheck(
  check: MetadataSourceCheck,
  create: () => Promise<MetadataSourceFixture>,
): Promise<MetadataSourceCheckResult> {
  const fixture = await create();
  let result: MetadataSourceCheckResult = { status: 'passed' };
  let failure: { readonly error: unknown } | undefined;
  try {
    const problem = fixtureProblem(fixture);
    if (problem !== undefined) {
      throw new Error(`[cairn] [testkit] The metadata-source fixture is incomplete: ${problem}.`);
    }
    const reason = check.skipReason?.(fixture);
    if (reason === undefined) await check.run(fixture);
    else result = { status: 'skipped', reason };
  } catch (error) {
    failure = { error };
  }
  try {
    // Closing twice is allowed by the contract; whether it works is a check of its own, so a
    // failing close here does not hide the check's own outcome.
    await fixture.source?.close?.().catch(() => undefined);
    await fixture.destroy?.();
  } catch (error) {
    failure ??= { error };
  }
  if (failure !== undefined) throw failure.error;
  return result;
}
