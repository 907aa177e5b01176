import { CairnError } from '@cairn/kernel';

/** What the example reads from its environment. */
export interface ExampleSettings {
  /** `CAIRN_EXAMPLE_ITEMS`: candidates to generate (default 48). */
  readonly itemCount: number;
  /** `CAIRN_EXAMPLE_LATENCY_MS`: mean latency of a simulated model call (default 120). */
  readonly latencyMs: number;
  /** `CAIRN_EXAMPLE_CALL_LOG`: a file to log every model call to, for tests. */
  readonly callLog: string | undefined;
}

function integerSetting(
  environment: Readonly<Record<string, string | undefined>>,
  name: string,
  fallback: number,
  least: number,
): number {
  const text = environment[name];
  if (text === undefined || text.trim() === '') return fallback;
  const value = Number(text);
  if (!Number.isSafeInteger(value) || value < least) {
    throw new CairnError({
      code: 'INVALID_OPTIONS',
      backend: 'example',
      message: `${name} is "${text}"; set it to a whole number of at least ${least}, or unset it for ${fallback}.`,
      details: { name },
    });
  }
  return value;
}

/**
 * Reads the example's settings from environment variables. (`CAIRN_EXAMPLE_ROOT`, which moves
 * the data, is read by `cairn.config.yaml` itself.)
 *
 * @throws CairnError `INVALID_OPTIONS` naming a variable that is not a usable number.
 */
export function readExampleSettings(
  environment: Readonly<Record<string, string | undefined>>,
): ExampleSettings {
  const callLog = environment.CAIRN_EXAMPLE_CALL_LOG;
  return {
    itemCount: integerSetting(environment, 'CAIRN_EXAMPLE_ITEMS', 48, 1),
    latencyMs: integerSetting(environment, 'CAIRN_EXAMPLE_LATENCY_MS', 120, 0),
    callLog: callLog === undefined || callLog === '' ? undefined : callLog,
  };
}
